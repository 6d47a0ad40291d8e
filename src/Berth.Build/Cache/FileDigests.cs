using System.Security.Cryptography;
using Berth.Storage;
using Berth.Storage.Files;
using Berth.Storage.Metadata;

namespace Berth.Build.Cache;

/// <summary>
/// Content digests of host files, remembered in the store keyed by (path, size, mtime, ctime, inode) so a file that
/// did not change is not read again. Used for the build context and for the snapshot directories that
/// <c>COPY --from</c> reads (those never change, so their digests are computed once). The stat fields only decide
/// whether the remembered digest is still good; cache keys use the digest alone.
/// </summary>
public sealed class FileDigests(Store store)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, FileDigestRecord>> _known = new(StringComparer.Ordinal);
    private readonly List<FileDigestRecord> _fresh = [];

    /// <summary>The <c>sha256:hex</c> digest of <paramref name="host"/>, a regular file below <paramref name="root"/>
    /// whose stat is <paramref name="st"/>, read (when not remembered) from <paramref name="open"/>, which must open
    /// that very file. The records of a root are loaded in one query on first use.</summary>
    public string DigestOf(string root, string host, FileStat st, Func<Stream> open)
    {
        Dictionary<string, FileDigestRecord> known;
        lock (_gate)
        {
            if (!_known.TryGetValue(root, out known!))
                _known[root] = known = store.WithBuildMetadata(m => m.ListFileDigests(root));
            if (known.TryGetValue(host, out var k) && k.Size == st.Size && k.MtimeNs == st.MtimeNs && k.CtimeNs == st.CtimeNs && k.Inode == (long)st.Inode)
                return k.Digest;
        }
        string digest;
        using (var f = open())
            digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(f));
        var rec = new FileDigestRecord(host, st.Size, st.MtimeNs, st.CtimeNs, (long)st.Inode, digest);
        lock (_gate)
        {
            known[host] = rec;
            _fresh.Add(rec);
        }
        return digest;
    }

    /// <summary>Remembers the digests computed in this build (one transaction).</summary>
    public void Flush()
    {
        List<FileDigestRecord> fresh;
        lock (_gate)
        {
            if (_fresh.Count == 0) return;
            fresh = [.. _fresh];
            _fresh.Clear();
        }
        store.WithBuildMetadata(m => m.Write(_ =>
        {
            foreach (var r in fresh) m.PutFileDigest(r);
            return 0;
        }));
    }
}
