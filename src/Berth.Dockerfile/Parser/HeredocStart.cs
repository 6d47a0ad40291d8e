namespace Berth.Dockerfile.Parser;

/// <summary>A heredoc opener found on an instruction line, before its body is read.</summary>
/// <param name="Name">The delimiter, quotes removed.</param>
/// <param name="FileDescriptor">N in <c>N&lt;&lt;NAME</c>, else 0.</param>
/// <param name="Expand">False when part of the name was quoted.</param>
/// <param name="Chomp">True for <c>&lt;&lt;-</c>.</param>
public sealed record HeredocStart(string Name, int FileDescriptor, bool Expand, bool Chomp);
