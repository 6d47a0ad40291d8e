using System.Globalization;
using Berth.Oci;
using Berth.Oci.Errors;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

/// <summary>The store's metadata in one SQLite database (WAL, busy timeout): tags, images, snapshots. Every
/// change that spans rows runs in one transaction (<see cref="Write{T}"/>), so a crash leaves either the old or
/// the new state.
/// <para>Threads: one process (the daemon serving many requests, a build's parallel stages) shares this one
/// connection, and a SQLite connection and its transaction are not for two threads at once. Every statement, and
/// every <see cref="Write{T}"/> as a whole, holds <see cref="_gate"/> (reentrant: a transaction's body runs more
/// statements), so another thread's statement never lands inside someone else's transaction. Other processes are
/// kept apart by SQLite's own file locks (WAL, busy timeout). An uncontended lock costs nanoseconds: the CLI's
/// one-thread use does not notice it.</para></summary>
public sealed partial class MetadataStore : IDisposable
{
    private const int SqliteDbConfigNoCheckpointOnClose = 1006; // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE
    private static int s_initialised;
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();

    public MetadataStore(string path)
    {
        if (Interlocked.Exchange(ref s_initialised, 1) == 0) SQLitePCL.Batteries_V2.Init();
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _db.Open();
        Exec("PRAGMA busy_timeout=30000");
        Exec("PRAGMA journal_mode=WAL");
        // WAL with synchronous=NORMAL: a power cut may lose the last transactions, never consistency. Objects are
        // synced before the transaction that references them, so a lost transaction leaves only debris.
        Exec("PRAGMA synchronous=NORMAL");
        // Every CLI command opens and closes the database. Closing the last connection would checkpoint and delete
        // the WAL (two fdatasyncs), and the next open would create it again (a directory sync): leave that to the
        // automatic checkpoint. That runs every 64 pages (256 KiB, a handful of commands), not SQLite's 1000: the
        // first connection of every process rebuilds the WAL index by reading the whole WAL, 1.5 ms for a full 4 MB
        // one on each `berth run`, against two syncs every few commands.
        SQLitePCL.raw.sqlite3_db_config(_db.Handle, SqliteDbConfigNoCheckpointOnClose, 1, out _);
        Exec("PRAGMA wal_autocheckpoint=64");
        Exec("PRAGMA foreign_keys=ON");
        Migrate();
    }

    /// <summary>Raised whenever a table or index is added, so stores made by an older berth get it.</summary>
    private const int SchemaVersion = 8; // 3 came twice (repo digests, networks) from branches merged together: 4 has both; 5: network_attachments; 6: network IPAM columns (ip_range, user_subnet, subnet6, gateway6; endpoint address6); 7: networks.attachable; 8: networks.user_gateway, user_gateway6

    /// <summary>Creates what is missing. A store already at <see cref="SchemaVersion"/> costs one read here, not a
    /// write transaction per table group: every CLI command opens the store.</summary>
    private void Migrate()
    {
        using (var check = Cmd("PRAGMA user_version"))
            if (check.ExecuteScalar() is long v && v >= SchemaVersion) return;
        Write(_ =>
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS images (
                  id TEXT PRIMARY KEY, manifest_digest TEXT NOT NULL, manifest_size INTEGER NOT NULL,
                  manifest_media_type TEXT NOT NULL, config_size INTEGER NOT NULL, created TEXT, added TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS image_layers (
                  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
                  blob_digest TEXT NOT NULL, blob_size INTEGER NOT NULL, media_type TEXT NOT NULL,
                  diff_id TEXT NOT NULL, chain_id TEXT NOT NULL, PRIMARY KEY (image_id, idx));
                CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);
                CREATE TABLE IF NOT EXISTS tags (
                  name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id), updated TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS snapshots (
                  chain_id TEXT PRIMARY KEY, parent TEXT, diff_id TEXT NOT NULL, size INTEGER NOT NULL, content_size INTEGER NOT NULL);
                """);
            return 0;
        });
        MigrateContainers();
        MigrateBuildCache();
        MigrateEvents();
        MigrateRepoDigests();
        MigrateNetworks();
        Exec($"PRAGMA user_version={SchemaVersion}");
    }

    /// <summary>Tables of the container records, defined in MetadataStore.Containers.cs
    /// (<c>CREATE TABLE IF NOT EXISTS</c> through <see cref="Exec"/>).</summary>
    partial void MigrateContainers();

    /// <summary>Tables of the build cache, defined in MetadataStore.BuildCache.cs.</summary>
    partial void MigrateBuildCache();

    /// <summary>The event log, defined in MetadataStore.Events.cs.</summary>
    partial void MigrateEvents();

    /// <summary>Registry digests of images, defined in MetadataStore.RepoDigests.cs.</summary>
    partial void MigrateRepoDigests();
    /// <summary>Networks and endpoints, defined in MetadataStore.Networks.cs.</summary>
    partial void MigrateNetworks();

    /// <summary>Runs <paramref name="body"/> in one IMMEDIATE transaction (takes the write lock up front, so two
    /// processes never deadlock upgrading a read).</summary>
    public T Write<T>(Func<SqliteTransaction, T> body)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: false);
            var result = body(tx);
            tx.Commit();
            return result;
        }
    }

    internal void Exec(string sql, params (string, object?)[] args)
    {
        using var cmd = Cmd(sql, args);
        cmd.ExecuteNonQuery();
    }

    /// <summary>A statement that holds the connection's gate until disposed (callers read its results first).</summary>
    internal GatedCommand Cmd(string sql, params (string, object?)[] args)
    {
        _gate.Enter();
        try
        {
            var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
            return new GatedCommand(cmd, _gate);
        }
        catch
        {
            _gate.Exit();
            throw;
        }
    }

    /// <summary>A command and the gate its thread holds while it and its reader are in use.</summary>
    internal sealed class GatedCommand(SqliteCommand command, Lock gate) : IDisposable
    {
        private bool _disposed;

        public SqliteDataReader ExecuteReader() => command.ExecuteReader();
        public object? ExecuteScalar() => command.ExecuteScalar();
        public int ExecuteNonQuery() => command.ExecuteNonQuery();

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            command.Dispose();
            gate.Exit();
        }
    }

    // ---- images ----

    public void PutImage(ImageRecord image)
    {
        Exec("INSERT OR IGNORE INTO images(id, manifest_digest, manifest_size, manifest_media_type, config_size, created, added) VALUES ($id,$md,$ms,$mt,$cs,$cr,$ad)",
            ("$id", image.Id.ToString()), ("$md", image.ManifestDigest.ToString()), ("$ms", image.ManifestSize),
            ("$mt", image.ManifestMediaType), ("$cs", image.ConfigSize), ("$cr", image.Created?.ToString("O")), ("$ad", image.Added.ToString("O")));
        for (int i = 0; i < image.Layers.Count; i++)
        {
            var l = image.Layers[i];
            Exec("INSERT OR IGNORE INTO image_layers(image_id, idx, blob_digest, blob_size, media_type, diff_id, chain_id) VALUES ($id,$i,$b,$bs,$mt,$d,$c)",
                ("$id", image.Id.ToString()), ("$i", i), ("$b", l.BlobDigest.ToString()), ("$bs", l.BlobSize), ("$mt", l.MediaType),
                ("$d", l.DiffId.ToString()), ("$c", l.ChainId.ToString()));
        }
    }

    public ImageRecord? GetImage(Digest id) => ListImages(id).FirstOrDefault();

    public IReadOnlyList<ImageRecord> ListImages(Digest? only = null)
    {
        var layers = new Dictionary<string, List<LayerRecord>>();
        using (var cmd = Cmd("SELECT image_id, blob_digest, blob_size, media_type, diff_id, chain_id FROM image_layers " +
                             (only is null ? "" : "WHERE image_id=$id ") + "ORDER BY image_id, idx", ("$id", only?.ToString())))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var id = r.GetString(0);
                if (!layers.TryGetValue(id, out var list)) layers[id] = list = [];
                list.Add(new LayerRecord
                {
                    BlobDigest = Digest.Parse(r.GetString(1)), BlobSize = r.GetInt64(2), MediaType = r.GetString(3),
                    DiffId = Digest.Parse(r.GetString(4)), ChainId = Digest.Parse(r.GetString(5)),
                });
            }
        }
        var result = new List<ImageRecord>();
        using (var cmd = Cmd("SELECT id, manifest_digest, manifest_size, manifest_media_type, config_size, created, added FROM images" +
                             (only is null ? "" : " WHERE id=$id"), ("$id", only?.ToString())))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var id = r.GetString(0);
                result.Add(new ImageRecord
                {
                    Id = Digest.Parse(id), ManifestDigest = Digest.Parse(r.GetString(1)), ManifestSize = r.GetInt64(2),
                    ManifestMediaType = r.GetString(3), ConfigSize = r.GetInt64(4),
                    Created = r.IsDBNull(5) ? null : DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture),
                    Added = DateTimeOffset.Parse(r.GetString(6), CultureInfo.InvariantCulture),
                    Layers = layers.TryGetValue(id, out var l) ? l : [],
                });
            }
        }
        return result;
    }

    public void DeleteImage(Digest id)
    {
        Exec("DELETE FROM tags WHERE image_id=$id", ("$id", id.ToString()));
        Exec("DELETE FROM repo_digests WHERE image_id=$id", ("$id", id.ToString()));
        Exec("DELETE FROM image_layers WHERE image_id=$id", ("$id", id.ToString()));
        Exec("DELETE FROM images WHERE id=$id", ("$id", id.ToString()));
    }

    // ---- tags ----

    /// <summary>Points <paramref name="name"/> at an image; returns the image it pointed at before, if any.</summary>
    public Digest? SetTag(string name, Digest image)
    {
        var old = GetTag(name);
        Exec("INSERT INTO tags(name, image_id, updated) VALUES ($n,$i,$u) ON CONFLICT(name) DO UPDATE SET image_id=excluded.image_id, updated=excluded.updated",
            ("$n", name), ("$i", image.ToString()), ("$u", DateTimeOffset.UtcNow.ToString("O")));
        return old;
    }

    public Digest? GetTag(string name)
    {
        using var cmd = Cmd("SELECT image_id FROM tags WHERE name=$n", ("$n", name));
        return cmd.ExecuteScalar() is string s ? Digest.Parse(s) : null;
    }

    /// <summary>When a tag last pointed at the image (docker's Metadata.LastTagTime), if it has tags.</summary>
    public DateTimeOffset? LastTagTime(Digest image)
    {
        using var cmd = Cmd("SELECT max(updated) FROM tags WHERE image_id=$i", ("$i", image.ToString()));
        return cmd.ExecuteScalar() is string s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture) : null;
    }

    public bool RemoveTag(string name)
    {
        using var cmd = Cmd("DELETE FROM tags WHERE name=$n", ("$n", name));
        return cmd.ExecuteNonQuery() > 0;
    }

    public IReadOnlyList<(string Name, Digest Image)> ListTags()
    {
        var list = new List<(string, Digest)>();
        using var cmd = Cmd("SELECT name, image_id FROM tags ORDER BY name");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add((r.GetString(0), Digest.Parse(r.GetString(1))));
        return list;
    }

    // ---- snapshots ----

    public void PutSnapshot(SnapshotRecord s) =>
        Exec("INSERT OR IGNORE INTO snapshots(chain_id, parent, diff_id, size, content_size) VALUES ($c,$p,$d,$s,$cs)",
            ("$c", s.ChainId.ToString()), ("$p", s.Parent?.ToString()), ("$d", s.DiffId.ToString()), ("$s", s.Size), ("$cs", s.ContentSize));

    public SnapshotRecord? GetSnapshot(Digest chainId) => ListSnapshots(chainId).FirstOrDefault();

    public IReadOnlyList<SnapshotRecord> ListSnapshots(Digest? only = null)
    {
        var list = new List<SnapshotRecord>();
        using var cmd = Cmd("SELECT chain_id, parent, diff_id, size, content_size FROM snapshots" + (only is null ? "" : " WHERE chain_id=$c"), ("$c", only?.ToString()));
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new SnapshotRecord
            {
                ChainId = Digest.Parse(r.GetString(0)), Parent = r.IsDBNull(1) ? null : Digest.Parse(r.GetString(1)),
                DiffId = Digest.Parse(r.GetString(2)), Size = r.GetInt64(3), ContentSize = r.GetInt64(4),
            });
        return list;
    }

    public void DeleteSnapshot(Digest chainId) => Exec("DELETE FROM snapshots WHERE chain_id=$c", ("$c", chainId.ToString()));

    // ---- reachability (for GC and check) ----

    /// <summary>Every blob an image row points at: manifests, configs and layers.</summary>
    public HashSet<Digest> ReferencedBlobs()
    {
        var set = new HashSet<Digest>();
        using (var cmd = Cmd("SELECT id, manifest_digest FROM images"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) { set.Add(Digest.Parse(r.GetString(0))); set.Add(Digest.Parse(r.GetString(1))); }
        using (var cmd = Cmd("SELECT DISTINCT blob_digest FROM image_layers"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) set.Add(Digest.Parse(r.GetString(0)));
        // A repository digest that is an index (the image was pulled through it) keeps the index's bytes.
        using (var cmd = Cmd("SELECT DISTINCT digest FROM repo_digests"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) set.Add(Digest.Parse(r.GetString(0)));
        return set;
    }

    public HashSet<Digest> ReferencedSnapshots()
    {
        var set = new HashSet<Digest>();
        using var cmd = Cmd("SELECT DISTINCT chain_id FROM image_layers");
        using var r = cmd.ExecuteReader();
        while (r.Read()) set.Add(Digest.Parse(r.GetString(0)));
        return set;
    }

    public string IntegrityCheck()
    {
        using var cmd = Cmd("PRAGMA integrity_check");
        return cmd.ExecuteScalar() as string ?? "unknown";
    }

    public void Dispose()
    {
        lock (_gate) _db.Dispose();
    }
}
