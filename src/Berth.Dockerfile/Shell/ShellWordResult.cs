namespace Berth.Dockerfile.Shell;

/// <summary>
/// The result of <see cref="ShellLexer.ProcessWord"/>: the expanded text, the variables it found set
/// (<see cref="Matched"/>) and those it referenced while unset (<see cref="Unmatched"/>). The build cache keys a
/// step on the build args in <see cref="Matched"/>.
/// </summary>
public sealed record ShellWordResult(string Result, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);
