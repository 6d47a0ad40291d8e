using Berth.Dockerfile.Ignore;

namespace Berth.Build.Cache;

/// <summary><c>COPY --exclude</c> patterns, matched with .dockerignore's rules against paths relative to the
/// context.</summary>
public sealed class IgnoreRules(IReadOnlyList<string> patterns)
{
    private readonly DockerIgnore _rules = DockerIgnore.Parse(string.Join('\n', patterns));

    public IReadOnlyList<string> Patterns { get; } = patterns;

    public bool Excludes(string relative) => _rules.Matches(relative);
}
