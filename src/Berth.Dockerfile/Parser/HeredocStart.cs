namespace Berth.Dockerfile.Parser;

/// <summary>A heredoc opener found on an instruction line, before its body is read.</summary>
internal sealed record HeredocStart(string Name, int FileDescriptor, bool Expand, bool Chomp);
