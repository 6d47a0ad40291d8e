using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

/// <summary>Containers and volumes: one row each. State changes are single-row updates, so the monitor, the CLI and
/// a reconciling reader never need more than SQLite's own locking.</summary>
public sealed partial class MetadataStore
{
    private const string ContainerColumns =
        "id, name, image_id, image_name, created, config, status, pid, pid_start, monitor_pid, monitor_start, started_at, finished_at, exit_code, oom_killed, error, restart_count";

    partial void MigrateContainers()
    {
        Write(_ =>
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS containers (
                  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image_id TEXT NOT NULL, image_name TEXT NOT NULL,
                  created TEXT NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL, pid INTEGER NOT NULL DEFAULT 0,
                  pid_start INTEGER NOT NULL DEFAULT 0, monitor_pid INTEGER NOT NULL DEFAULT 0,
                  monitor_start INTEGER NOT NULL DEFAULT 0, started_at TEXT, finished_at TEXT,
                  exit_code INTEGER NOT NULL DEFAULT 0, oom_killed INTEGER NOT NULL DEFAULT 0, error TEXT,
                  restart_count INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX IF NOT EXISTS containers_image ON containers(image_id);
                CREATE TABLE IF NOT EXISTS volumes (
                  name TEXT PRIMARY KEY, created TEXT NOT NULL, anonymous INTEGER NOT NULL DEFAULT 0, labels TEXT);
                """);
            return 0;
        });
    }

    /// <summary>Adds a container, reserving its name in the same transaction; false when the name is taken, with
    /// the ID of the container that holds it (read in that transaction, so it names a container that existed).</summary>
    public bool TryAddContainer(ContainerRow c, out string? holder) => TryAddContainer(c, [], out holder);

    /// <summary>Adds a container and its network memberships (in <see cref="AttachmentRow.Seq"/> order) in one
    /// transaction, as <see cref="TryAddContainer(ContainerRow, out string?)"/>.</summary>
    public bool TryAddContainer(ContainerRow c, IReadOnlyList<AttachmentRow> attachments, out string? holder) =>
        (holder = Write(_ =>
        {
            using (var cmd = Cmd("SELECT id FROM containers WHERE name=$n", ("$n", c.Name)))
                if (cmd.ExecuteScalar() is string id) return id;
            Exec($"INSERT INTO containers({ContainerColumns}) VALUES ($id,$n,$ii,$in,$cr,$cf,$st,$p,$ps,$mp,$ms,$sa,$fa,$ec,$oom,$err,$rc)", Params(c));
            foreach (var a in attachments) TryAddAttachment(a);
            return null;
        })) is null;

    /// <summary>Writes a container's state columns (everything but identity and config).</summary>
    public void UpdateContainer(ContainerRow c) =>
        Exec("UPDATE containers SET name=$n, status=$st, pid=$p, pid_start=$ps, monitor_pid=$mp, monitor_start=$ms, started_at=$sa, finished_at=$fa, exit_code=$ec, oom_killed=$oom, error=$err, restart_count=$rc WHERE id=$id",
            Params(c));

    /// <summary>Records an exit, unless the row has since been started again (<paramref name="pidStart"/> differs) or
    /// the exit is recorded already; true when this call recorded it.</summary>
    public bool RecordContainerExit(string id, ulong pidStart, int exitCode, bool oomKilled, DateTimeOffset finishedAt)
    {
        using var cmd = Cmd("UPDATE containers SET status='exited', exit_code=$ec, oom_killed=$oom, finished_at=$fa, pid=0, monitor_pid=0 WHERE id=$id AND pid_start=$ps AND status='running'",
            ("$id", id), ("$ps", (long)pidStart), ("$ec", exitCode), ("$oom", oomKilled ? 1 : 0), ("$fa", finishedAt.ToString("O", CultureInfo.InvariantCulture)));
        return cmd.ExecuteNonQuery() > 0;
    }

    public ContainerRow? GetContainer(string id) => QueryContainers("WHERE id=$a", ("$a", id)).FirstOrDefault();

    public ContainerRow? GetContainerByName(string name) => QueryContainers("WHERE name=$a", ("$a", name)).FirstOrDefault();

    public IReadOnlyList<ContainerRow> FindContainersByIdPrefix(string prefix) =>
        QueryContainers("WHERE substr(id, 1, length($a)) = $a", ("$a", prefix));

    public IReadOnlyList<ContainerRow> ListContainers()
    {
        var rows = QueryContainers("ORDER BY created DESC");
        if (_configs.Count > rows.Count)
        {
            var present = rows.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var id in _configs.Keys)
                if (!present.Contains(id)) _configs.TryRemove(id, out _);
        }
        return rows;
    }

    /// <summary>The config string last read of each container. A row read again with its config unchanged carries the
    /// very string read before, so whoever parsed that string finds its parse (the engine keeps parses by string)
    /// instead of parsing a copy: a daemon lists the same containers over and over, and a parse costs more than
    /// comparing the two strings. <see cref="ListContainers"/> and <see cref="DeleteContainer"/> drop those gone.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _configs = new(StringComparer.Ordinal);

    private string KnownConfig(string id, string config)
    {
        if (_configs.TryGetValue(id, out var known) && string.Equals(known, config, StringComparison.Ordinal)) return known;
        _configs[id] = config;
        return config;
    }

    public bool DeleteContainer(string id)
    {
        // Its network memberships go with it (they have no meaning without the container).
        Exec("DELETE FROM network_attachments WHERE container_id=$id", ("$id", id));
        using var cmd = Cmd("DELETE FROM containers WHERE id=$id", ("$id", id));
        _configs.TryRemove(id, out _);
        return cmd.ExecuteNonQuery() > 0;
    }

    /// <summary>Image IDs that containers use (for <c>rmi</c> and the GC roots).</summary>
    public IReadOnlyList<(string ContainerId, string ImageId)> ContainerImages()
    {
        var list = new List<(string, string)>();
        using var cmd = Cmd("SELECT id, image_id FROM containers");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    private (string, object?)[] Params(ContainerRow c) =>
    [
        ("$id", c.Id), ("$n", c.Name), ("$ii", c.ImageId), ("$in", c.ImageName), ("$cr", c.Created.ToString("O", CultureInfo.InvariantCulture)),
        ("$cf", c.Config), ("$st", c.Status), ("$p", c.Pid), ("$ps", (long)c.PidStart), ("$mp", c.MonitorPid), ("$ms", (long)c.MonitorStart),
        ("$sa", c.StartedAt?.ToString("O", CultureInfo.InvariantCulture)), ("$fa", c.FinishedAt?.ToString("O", CultureInfo.InvariantCulture)),
        ("$ec", c.ExitCode), ("$oom", c.OomKilled ? 1 : 0), ("$err", c.Error), ("$rc", c.RestartCount),
    ];

    private List<ContainerRow> QueryContainers(string where, params (string, object?)[] args)
    {
        var list = new List<ContainerRow>();
        using var cmd = Cmd($"SELECT {ContainerColumns} FROM containers {where}", args);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var id = r.GetString(0);
            list.Add(new ContainerRow
            {
                Id = id, Name = r.GetString(1), ImageId = r.GetString(2), ImageName = r.GetString(3),
                Created = DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture), Config = KnownConfig(id, r.GetString(5)),
                Status = r.GetString(6), Pid = r.GetInt32(7), PidStart = (ulong)r.GetInt64(8), MonitorPid = r.GetInt32(9),
                MonitorStart = (ulong)r.GetInt64(10),
                StartedAt = r.IsDBNull(11) ? null : DateTimeOffset.Parse(r.GetString(11), CultureInfo.InvariantCulture),
                FinishedAt = r.IsDBNull(12) ? null : DateTimeOffset.Parse(r.GetString(12), CultureInfo.InvariantCulture),
                ExitCode = r.GetInt32(13), OomKilled = r.GetInt32(14) != 0, Error = r.IsDBNull(15) ? null : r.GetString(15),
                RestartCount = r.GetInt32(16),
            });
        }
        return list;
    }

    // ---- volumes ----

    public bool TryAddVolume(VolumeRow v)
    {
        using var cmd = Cmd("INSERT OR IGNORE INTO volumes(name, created, anonymous, labels) VALUES ($n,$c,$a,$l)",
            ("$n", v.Name), ("$c", v.Created.ToString("O", CultureInfo.InvariantCulture)), ("$a", v.Anonymous ? 1 : 0), ("$l", v.Labels));
        return cmd.ExecuteNonQuery() > 0;
    }

    public VolumeRow? GetVolume(string name) => QueryVolumes("WHERE name=$n", ("$n", name)).FirstOrDefault();

    public IReadOnlyList<VolumeRow> ListVolumes() => QueryVolumes("ORDER BY name");

    public bool DeleteVolume(string name)
    {
        using var cmd = Cmd("DELETE FROM volumes WHERE name=$n", ("$n", name));
        return cmd.ExecuteNonQuery() > 0;
    }

    private List<VolumeRow> QueryVolumes(string where, params (string, object?)[] args)
    {
        var list = new List<VolumeRow>();
        using var cmd = Cmd($"SELECT name, created, anonymous, labels FROM volumes {where}", args);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new VolumeRow
            {
                Name = r.GetString(0), Created = DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture),
                Anonymous = r.GetInt32(2) != 0, Labels = r.IsDBNull(3) ? null : r.GetString(3),
            });
        return list;
    }
}
