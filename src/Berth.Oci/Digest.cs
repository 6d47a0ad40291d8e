using System.Security.Cryptography;
using Berth.Oci.Errors;

namespace Berth.Oci;

/// <summary>A content digest, <c>algorithm:hex</c>. Only sha256 (64 lower-case hex) and sha512 (128) are accepted,
/// so a digest can be used as a file name without further checks (CVE-2014-9358, CVE-2024-3727).</summary>
/// <see href="https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests"/>
public readonly record struct Digest
{
    private Digest(string algorithm, string hex) { Algorithm = algorithm; Hex = hex; }

    public string Algorithm { get; }
    public string Hex { get; }

    public override string ToString() => $"{Algorithm}:{Hex}";

    /// <summary>The first 12 hex characters, as docker shows IDs.</summary>
    public string Short => Hex[..12];

    public static Digest Parse(string value) =>
        TryParse(value, out var d) ? d : throw BerthException.Invalid($"invalid digest \"{Sanitize(value)}\": want sha256:<64 hex> or sha512:<128 hex>");

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (value is null) return false;
        int colon = value.IndexOf(':');
        if (colon < 0) return false;
        string alg = value[..colon], hex = value[(colon + 1)..];
        int want = alg switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (hex.Length != want) return false;
        foreach (char c in hex)
            if (!(c is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        digest = new Digest(alg, hex);
        return true;
    }

    public static Digest FromSha256Hash(ReadOnlySpan<byte> hash) => new("sha256", Convert.ToHexStringLower(hash));

    public static Digest Sha256(ReadOnlySpan<byte> data) => FromSha256Hash(SHA256.HashData(data));

    public static Digest Sha256(Stream data) => FromSha256Hash(SHA256.HashData(data));

    public bool IsEmpty => Algorithm is null;

    private static string Sanitize(string s) => s.Length > 80 ? s[..80] + "…" : s.Replace("\0", "\\0");
}
