namespace Berth.Dockerfile.Instructions;

/// <summary>An ENV or LABEL pair. <see cref="NoDelimiter"/> marks the legacy <c>ENV key value</c> form.</summary>
public sealed record KeyValue(string Key, string Value, bool NoDelimiter = false);
