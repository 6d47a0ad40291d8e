using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

/// <summary>The event log: what happened to containers, images, volumes (docker's <c>events</c>), one row each,
/// numbered in the order written by any process, so a reader that remembers the last number it saw never misses
/// or repeats one. The newest <see cref="EventsKept"/> are kept.</summary>
public sealed partial class MetadataStore
{
    /// <summary>How many events the log keeps (dockerd keeps 256 in memory; a store keeps more, on disk).</summary>
    public const int EventsKept = 10_000;

    partial void MigrateEvents()
    {
        Write(_ =>
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS events (
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, time_nano INTEGER NOT NULL, type TEXT NOT NULL,
                  action TEXT NOT NULL, actor TEXT NOT NULL, attributes TEXT NOT NULL);
                """);
            return 0;
        });
    }

    /// <summary>Appends an event; returns its sequence number. Every hundredth append trims the log to
    /// <see cref="EventsKept"/>.</summary>
    public long AppendEvent(EventRecord e)
    {
        using var cmd = Cmd("INSERT INTO events(time_nano, type, action, actor, attributes) VALUES ($t,$ty,$a,$id,$at) RETURNING seq",
            ("$t", e.TimeNano), ("$ty", e.Type), ("$a", e.Action), ("$id", e.ActorId), ("$at", e.AttributesJson));
        var seq = (long)cmd.ExecuteScalar()!;
        if (seq % 100 == 0) Exec("DELETE FROM events WHERE seq <= $s", ("$s", seq - EventsKept));
        return seq;
    }

    /// <summary>Events after <paramref name="afterSeq"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<EventRecord> ListEvents(long afterSeq, int limit = 1000)
    {
        using var cmd = Cmd("SELECT seq, time_nano, type, action, actor, attributes FROM events WHERE seq > $s ORDER BY seq LIMIT $l",
            ("$s", afterSeq), ("$l", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<EventRecord>();
        while (r.Read())
            list.Add(new EventRecord(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)));
        return list;
    }

    /// <summary>The number of the newest event (0 when there is none).</summary>
    public long LastEventSeq()
    {
        using var cmd = Cmd("SELECT COALESCE(MAX(seq), 0) FROM events");
        return (long)cmd.ExecuteScalar()!;
    }
}

/// <summary>One event: docker's <c>Type</c>, <c>Action</c>, <c>Actor.ID</c>, <c>Actor.Attributes</c> (JSON object)
/// and <c>timeNano</c>; <see cref="Seq"/> orders them.</summary>
public sealed record EventRecord(long Seq, long TimeNano, string Type, string Action, string ActorId, string AttributesJson);
