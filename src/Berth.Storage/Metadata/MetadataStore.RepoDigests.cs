using Berth.Oci;

namespace Berth.Storage.Metadata;

public sealed partial class MetadataStore
{
    /// <summary>Repository digests (<c>docker.io/library/busybox@sha256:…</c>): the manifest digest an image has in
    /// a registry, recorded by pull and push, shown by <c>inspect</c> (RepoDigests) and <c>images --digests</c>.
    /// One row per repository and image; removing the image removes them.</summary>
    partial void MigrateRepoDigests() =>
        Exec("""
            CREATE TABLE IF NOT EXISTS repo_digests (
              repository TEXT NOT NULL, digest TEXT NOT NULL,
              image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, updated TEXT NOT NULL,
              PRIMARY KEY (repository, image_id));
            """);

    /// <summary>Records that <paramref name="image"/> is <paramref name="digest"/> in <paramref name="repository"/>
    /// (a later pull or push of another manifest of the same image replaces it, as docker keeps one per repository).</summary>
    public void SetRepoDigest(string repository, Digest digest, Digest image) =>
        Exec("INSERT INTO repo_digests(repository, digest, image_id, updated) VALUES ($r,$d,$i,$u) ON CONFLICT(repository, image_id) DO UPDATE SET digest=excluded.digest, updated=excluded.updated",
            ("$r", repository), ("$d", digest.ToString()), ("$i", image.ToString()), ("$u", DateTimeOffset.UtcNow.ToString("O")));

    /// <summary>Forgets <paramref name="image"/>'s digest in <paramref name="repository"/> (its last tag there is gone).</summary>
    public void RemoveRepoDigest(string repository, Digest image) =>
        Exec("DELETE FROM repo_digests WHERE repository=$r AND image_id=$i", ("$r", repository), ("$i", image.ToString()));

    public IReadOnlyList<(string Repository, Digest Digest, Digest Image)> ListRepoDigests()
    {
        var list = new List<(string, Digest, Digest)>();
        using var cmd = Cmd("SELECT repository, digest, image_id FROM repo_digests ORDER BY repository");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add((r.GetString(0), Digest.Parse(r.GetString(1)), Digest.Parse(r.GetString(2))));
        return list;
    }
}
