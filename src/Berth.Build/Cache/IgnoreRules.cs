using Berth.Dockerfile.Ignore;

namespace Berth.Build.Cache;

/// <summary><c>COPY --exclude</c> patterns, matched with .dockerignore's rules against paths relative to the
/// context.</summary>
public sealed class IgnoreRules(IReadOnlyList<string> patterns)
{
    private readonly DockerIgnore _rules = DockerIgnore.Parse(string.Join('\n', patterns));

    public IReadOnlyList<string> Patterns { get; } = patterns;

    /// <summary>True when the path, relative to the copied source (BuildKit) or to the context, is excluded.</summary>
    public bool Excludes(string relative, int sourceLength)
    {
        var inner = sourceLength == 0 ? relative : relative.Length > sourceLength ? relative[(sourceLength + 1)..] : "";
        return inner.Length > 0 && _rules.Matches(inner) || _rules.Matches(relative);
    }
}
