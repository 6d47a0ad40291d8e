using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Build.Cache;

/// <summary>
/// Builds a step's cache key from typed fields with domain separation (BuildKit's <c>util/cachedigest</c>): each
/// field is written as its name and value, both length-prefixed, so no two different field lists hash alike.
/// </summary>
public sealed class CacheKey : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public CacheKey(string domain) => Add("berth.build.v1", domain);

    public CacheKey Add(string name, string? value)
    {
        Write(name);
        Write(value ?? "\0null");
        return this;
    }

    public CacheKey Add(string name, IEnumerable<string> values)
    {
        var list = values.ToList();
        Add(name, list.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var v in list) Write(v);
        return this;
    }

    private void Write(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(len, bytes.Length);
        _hash.AppendData(len);
        _hash.AppendData(bytes);
    }

    /// <summary>The key as <c>sha256:hex</c>.</summary>
    public string Finish() => "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();

    public static string Of(string domain, params (string Name, string? Value)[] fields)
    {
        using var k = new CacheKey(domain);
        foreach (var (n, v) in fields) k.Add(n, v);
        return k.Finish();
    }
}
