using Berth.Dockerfile.Instructions;

namespace Berth.Build.Steps;

/// <summary>COPY and ADD after expansion, as one shape.</summary>
public sealed record CopySpec
{
    public required bool IsAdd { get; init; }
    public required IReadOnlyList<string> Sources { get; init; }
    public required IReadOnlyList<HeredocSource> Heredocs { get; init; }
    public required string Destination { get; init; }
    public string? From { get; init; }
    public string? Chown { get; init; }
    public string? Chmod { get; init; }
    public bool Link { get; init; }
    public bool Parents { get; init; }
    public IReadOnlyList<string> Excludes { get; init; } = [];
    public bool? Unpack { get; init; }
    /// <summary>ADD <c>--checksum=sha256:…</c>: the digest a URL's content must have.</summary>
    public string? Checksum { get; init; }

    public static CopySpec Of(CopyInstruction c) => new()
    {
        IsAdd = false, Sources = c.Sources, Heredocs = c.HeredocSources, Destination = c.Destination, From = c.From,
        Chown = c.Chown, Chmod = c.Chmod, Link = c.Link, Parents = c.Parents, Excludes = c.Excludes,
    };

    public static CopySpec Of(AddInstruction a) => new()
    {
        IsAdd = true, Sources = a.Sources, Heredocs = a.HeredocSources, Destination = a.Destination,
        Chown = a.Chown, Chmod = a.Chmod, Link = a.Link, Excludes = a.Excludes, Unpack = a.Unpack, Checksum = a.Checksum,
    };
}
