namespace Berth.Dockerfile.Shell;

/// <summary>The result of <see cref="ShellLexer.ProcessWords"/>: the words after expansion and splitting.</summary>
public sealed record ShellWordsResult(IReadOnlyList<string> Words, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);
