using System.Text.RegularExpressions;
using Berth.Oci.Errors;

namespace Berth.Oci;

/// <summary>A docker-style image reference, normalised: <c>busybox</c> is <c>docker.io/library/busybox:latest</c>.</summary>
/// <see href="https://github.com/distribution/reference/blob/main/reference.go"/>
public sealed partial record ImageReference
{
    public const string DefaultDomain = "docker.io";
    public const string DefaultTag = "latest";

    public required string Domain { get; init; }
    /// <summary>The path after the domain, e.g. <c>library/busybox</c>.</summary>
    public required string Path { get; init; }
    public string? Tag { get; init; }
    public Digest? Digest { get; init; }

    public string Repository => $"{Domain}/{Path}";

    /// <summary>The full, normalised name: <c>docker.io/library/busybox:latest</c>.</summary>
    public override string ToString() => Repository + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    /// <summary>The name as docker shows it: <c>busybox</c>, <c>me/app</c>, <c>localhost:5000/app</c>.</summary>
    public string FamiliarRepository => Domain == DefaultDomain
        ? (Path.StartsWith("library/", StringComparison.Ordinal) && Path.IndexOf('/', 8) < 0 ? Path[8..] : Path)
        : Repository;

    public string FamiliarName => FamiliarRepository + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    public static ImageReference Parse(string s) =>
        TryParse(s, out var r, out var why) ? r! : throw BerthException.Invalid($"invalid reference format: \"{s}\": {why}");

    public static bool TryParse(string s, out ImageReference? reference) => TryParse(s, out reference, out _);

    public static bool TryParse(string s, out ImageReference? reference, out string why)
    {
        reference = null;
        why = "";
        if (string.IsNullOrEmpty(s) || s.Length > 255 + 128 + 140) { why = "empty or too long"; return false; }
        string rest = s;
        Digest? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!Oci.Digest.TryParse(rest[(at + 1)..], out var d)) { why = "bad digest"; return false; }
            digest = d;
            rest = rest[..at];
        }
        string? tag = null;
        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagRegex().IsMatch(tag)) { why = "bad tag"; return false; }
        }
        string domain, path;
        int slash = rest.IndexOf('/');
        string first = slash < 0 ? "" : rest[..slash];
        if (slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            domain = first;
            path = rest[(slash + 1)..];
            if (!DomainRegex().IsMatch(domain)) { why = "bad domain"; return false; }
        }
        else
        {
            domain = DefaultDomain;
            path = rest;
        }
        if (domain == "index.docker.io") domain = DefaultDomain;
        if (domain == DefaultDomain && !path.Contains('/')) path = "library/" + path;
        if (path.Length == 0 || !PathRegex().IsMatch(path))
        {
            why = path.Any(char.IsUpper) ? "repository name must be lowercase" : "bad repository name";
            return false;
        }
        if (tag is null && digest is null) tag = DefaultTag;
        reference = new ImageReference { Domain = domain, Path = path, Tag = tag, Digest = digest };
        return true;
    }

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[a-fA-F0-9:]+\](?::[0-9]+)?$")]
    private static partial Regex DomainRegex();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$")]
    private static partial Regex PathRegex();
}
