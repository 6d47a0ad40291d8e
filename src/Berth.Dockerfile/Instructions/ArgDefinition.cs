namespace Berth.Dockerfile.Instructions;

/// <summary>One name of an ARG, with its default (null when the ARG gives none).</summary>
public sealed record ArgDefinition(string Name, string? DefaultValue);
