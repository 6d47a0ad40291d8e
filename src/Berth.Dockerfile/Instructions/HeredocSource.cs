namespace Berth.Dockerfile.Instructions;

/// <summary>A COPY/ADD source given inline as a heredoc: a file named <see cref="Path"/> holding <see cref="Data"/>.</summary>
public sealed record HeredocSource(string Path, string Data, bool Expand);
