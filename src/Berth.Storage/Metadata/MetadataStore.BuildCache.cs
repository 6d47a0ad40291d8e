using System.Globalization;
using Berth.Oci;

namespace Berth.Storage.Metadata;

/// <summary>The build cache's tables: step records (a layer per cache key), final results (an image per key, so an
/// unchanged rebuild reuses the image itself), per-step lineage (to say why a step ran) and context file digests.</summary>
public sealed partial class MetadataStore
{
    partial void MigrateBuildCache()
    {
        Write(_ =>
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS build_cache (
                  key TEXT PRIMARY KEY, chain_id TEXT NOT NULL, parent_chain TEXT, diff_id TEXT NOT NULL,
                  blob_digest TEXT NOT NULL, blob_size INTEGER NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
                  created TEXT NOT NULL, last_used TEXT NOT NULL, description TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS build_results (key TEXT PRIMARY KEY, image_id TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS build_lineage (lineage TEXT PRIMARY KEY, summary TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS build_file_digests (
                  path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
                  inode INTEGER NOT NULL, digest TEXT NOT NULL);
                """);
            return 0;
        });
    }

    public BuildCacheRecord? GetBuildCache(string key) => ListBuildCache(key).FirstOrDefault();

    public IReadOnlyList<BuildCacheRecord> ListBuildCache(string? only = null)
    {
        var list = new List<BuildCacheRecord>();
        using var cmd = Cmd("SELECT key, chain_id, parent_chain, diff_id, blob_digest, blob_size, media_type, size, created, last_used, description FROM build_cache"
                            + (only is null ? "" : " WHERE key=$k"), ("$k", only));
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new BuildCacheRecord
            {
                Key = r.GetString(0), ChainId = Digest.Parse(r.GetString(1)), ParentChain = r.IsDBNull(2) ? null : Digest.Parse(r.GetString(2)),
                DiffId = Digest.Parse(r.GetString(3)), BlobDigest = Digest.Parse(r.GetString(4)), BlobSize = r.GetInt64(5),
                MediaType = r.GetString(6), Size = r.GetInt64(7),
                Created = DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture),
                LastUsed = DateTimeOffset.Parse(r.GetString(9), CultureInfo.InvariantCulture), Description = r.GetString(10),
            });
        return list;
    }

    public void PutBuildCache(BuildCacheRecord c) =>
        Exec("INSERT OR REPLACE INTO build_cache(key, chain_id, parent_chain, diff_id, blob_digest, blob_size, media_type, size, created, last_used, description) " +
             "VALUES ($k,$c,$p,$d,$b,$bs,$mt,$s,$cr,$lu,$de)",
            ("$k", c.Key), ("$c", c.ChainId.ToString()), ("$p", c.ParentChain?.ToString()), ("$d", c.DiffId.ToString()),
            ("$b", c.BlobDigest.ToString()), ("$bs", c.BlobSize), ("$mt", c.MediaType), ("$s", c.Size),
            ("$cr", c.Created.ToString("O")), ("$lu", c.LastUsed.ToString("O")), ("$de", c.Description));

    public void TouchBuildCache(string key, DateTimeOffset when) =>
        Exec("UPDATE build_cache SET last_used=$lu WHERE key=$k", ("$k", key), ("$lu", when.ToString("O")));

    public void DeleteBuildCache(string key) => Exec("DELETE FROM build_cache WHERE key=$k", ("$k", key));

    public Digest? GetBuildResult(string key)
    {
        using var cmd = Cmd("SELECT image_id FROM build_results WHERE key=$k", ("$k", key));
        return cmd.ExecuteScalar() is string s ? Digest.Parse(s) : null;
    }

    public void PutBuildResult(string key, Digest image) =>
        Exec("INSERT OR REPLACE INTO build_results(key, image_id) VALUES ($k,$i)", ("$k", key), ("$i", image.ToString()));

    public void ClearBuildResults() => Exec("DELETE FROM build_results");

    public string? GetBuildLineage(string lineage)
    {
        using var cmd = Cmd("SELECT summary FROM build_lineage WHERE lineage=$l", ("$l", lineage));
        return cmd.ExecuteScalar() as string;
    }

    public void PutBuildLineage(string lineage, string summary) =>
        Exec("INSERT OR REPLACE INTO build_lineage(lineage, summary) VALUES ($l,$s)", ("$l", lineage), ("$s", summary));

    public void ClearBuildLineage() => Exec("DELETE FROM build_lineage");

    /// <summary>The remembered digests of every file under <paramref name="directory"/> (an absolute path).</summary>
    public Dictionary<string, FileDigestRecord> ListFileDigests(string directory)
    {
        var prefix = directory.TrimEnd('/') + "/";
        var map = new Dictionary<string, FileDigestRecord>(StringComparer.Ordinal);
        // '/' + 1 is '0': the half-open range [prefix, prefix-with-'0') is exactly the paths below the directory.
        using var cmd = Cmd("SELECT path, size, mtime_ns, ctime_ns, inode, digest FROM build_file_digests WHERE path >= $a AND path < $b",
            ("$a", prefix), ("$b", prefix[..^1] + "0"));
        using var r = cmd.ExecuteReader();
        while (r.Read())
            map[r.GetString(0)] = new FileDigestRecord(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetString(5));
        return map;
    }

    public void PutFileDigest(FileDigestRecord f) =>
        Exec("INSERT OR REPLACE INTO build_file_digests(path, size, mtime_ns, ctime_ns, inode, digest) VALUES ($p,$s,$m,$c,$i,$d)",
            ("$p", f.Path), ("$s", f.Size), ("$m", f.MtimeNs), ("$c", f.CtimeNs), ("$i", f.Inode), ("$d", f.Digest));

    public void ClearFileDigests() => Exec("DELETE FROM build_file_digests");

    /// <summary>Blobs and snapshots the build cache keeps alive.</summary>
    public (HashSet<Digest> Blobs, HashSet<Digest> Snapshots) BuildCacheRoots()
    {
        var blobs = new HashSet<Digest>();
        var snaps = new HashSet<Digest>();
        using var cmd = Cmd("SELECT blob_digest, chain_id, parent_chain FROM build_cache");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            blobs.Add(Digest.Parse(r.GetString(0)));
            snaps.Add(Digest.Parse(r.GetString(1)));
        }
        // A cached layer is only usable on top of its parents: keep the whole chain below it.
        var parents = ListSnapshots().Where(s => s.Parent is not null).ToDictionary(s => s.ChainId, s => s.Parent!.Value);
        foreach (var top in snaps.ToList())
            for (var c = top; parents.TryGetValue(c, out var p) && snaps.Add(p);) c = p;
        return (blobs, snaps);
    }
}
