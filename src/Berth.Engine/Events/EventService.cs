using System.Runtime.CompilerServices;
using System.Text.Json;
using Berth.Storage;
using Berth.Storage.Metadata;

namespace Berth.Engine.Events;

/// <summary>Records what happens (container create/start/die/destroy …, image tag/delete …, volume create/mount/unmount/destroy,
/// network create/connect/disconnect/destroy)
/// in the store's event log, so that any process, now or later, can list or follow it as <c>docker events</c> does.
/// A writer bumps <c>events.tick</c> in the store root after each event; a follower waits on that file
/// (inotify) instead of polling the database.</summary>
public sealed class EventService(Store store, TimeProvider time)
{
    private string TickPath => Path.Combine(store.Root, "events.tick");

    /// <summary>Records an event of <paramref name="type"/> (container, image, volume, network) for
    /// <paramref name="actorId"/>. Never fails the operation it reports on.</summary>
    public void Record(string type, string action, string actorId, IEnumerable<KeyValuePair<string, string>>? attributes = null)
    {
        try
        {
            store.Metadata.AppendEvent(Make(type, action, actorId, attributes));
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            // An event log that cannot be written loses an event, not the user's operation.
            return;
        }
        Notify();
    }

    /// <summary>An event to append inside a caller's transaction (the change and its event are seen together);
    /// the caller calls <see cref="Notify"/> once it has committed.</summary>
    public EventRecord Make(string type, string action, string actorId, IEnumerable<KeyValuePair<string, string>>? attributes = null)
    {
        var attrs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (attributes is not null) foreach (var (k, v) in attributes) attrs[k] = v;
        var json = JsonSerializer.Serialize(attrs, EventJsonContext.Default.SortedDictionaryStringString);
        return new EventRecord(0, ToNano(time.GetUtcNow()), type, action, actorId, json);
    }

    /// <summary>Wakes the followers of the log.</summary>
    public void Notify()
    {
        try
        {
            File.WriteAllBytes(TickPath, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A follower wakes within a second anyway.
        }
    }

    /// <summary>The events since <paramref name="since"/> (all kept ones when null and <paramref name="follow"/> is
    /// false; none of the past when null and following), then, when <paramref name="follow"/>, new ones as they
    /// come, until <paramref name="until"/> or cancellation.</summary>
    public async IAsyncEnumerable<EngineEvent> ReadAsync(DateTimeOffset? since, DateTimeOffset? until, EventFilter filter, bool follow,
        [EnumeratorCancellation] CancellationToken ct)
    {
        long? sinceNano = since is { } s ? ToNano(s) : null;
        long? untilNano = until is { } u ? ToNano(u) : null;
        // Following without --since starts at now: only new events, as docker.
        long seq = follow && since is null ? store.Metadata.LastEventSeq() : 0;
        using var watcher = follow ? new TickWatcher(store.Root, "events.tick") : null;
        while (true)
        {
            var batch = store.Metadata.ListEvents(seq);
            foreach (var r in batch)
            {
                seq = r.Seq;
                if (sinceNano is { } sn && r.TimeNano < sn) continue;
                if (untilNano is { } un && r.TimeNano > un) yield break;
                var e = ToEvent(r);
                if (filter.Matches(e)) yield return e;
            }
            if (batch.Count > 0) continue;
            if (watcher is null) yield break;
            var wait = TimeSpan.FromSeconds(1);
            if (untilNano is { } end)
            {
                var left = TimeSpan.FromTicks((end - ToNano(time.GetUtcNow())) / 100);
                if (left <= TimeSpan.Zero) yield break;
                if (left < wait) wait = left;
            }
            // A missed notification costs at most the one-second wait, never an event.
            await watcher.WaitAsync(wait, ct);
        }
    }

    /// <summary>A watch on the event log: it wakes on the next event any process records (an exit recorded by a
    /// container's monitor among them). Open it before reading the state it should tell changes of.</summary>
    internal TickWatcher Watch() => new(store.Root, "events.tick");

    private static long ToNano(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static EngineEvent ToEvent(EventRecord r)
    {
        var attrs = JsonSerializer.Deserialize(r.AttributesJson, EventJsonContext.Default.SortedDictionaryStringString) ?? [];
        bool legacy = r.Type is "container" or "image";
        return new EngineEvent
        {
            Status = legacy ? r.Action : null,
            Id = legacy ? r.ActorId : null,
            From = r.Type == "container" ? attrs.GetValueOrDefault("image") : null,
            Type = r.Type,
            Action = r.Action,
            Actor = new EventActor { Id = r.ActorId, Attributes = attrs },
            TimeNano = r.TimeNano,
        };
    }

    /// <summary>Wakes a follower when the tick file is written.</summary>
    internal sealed class TickWatcher : IDisposable
    {
        private readonly FileSystemWatcher _watcher;
        private readonly SemaphoreSlim _signal = new(0);

        public TickWatcher(string dir, string name)
        {
            _watcher = new FileSystemWatcher(dir, name) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
            _watcher.Changed += (_, _) => Release();
            _watcher.Created += (_, _) => Release();
            _watcher.EnableRaisingEvents = true;
        }

        private void Release()
        {
            if (_signal.CurrentCount == 0) _signal.Release();
        }

        public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

        public void Dispose()
        {
            _watcher.Dispose();
            _signal.Dispose();
        }
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = false)]
[System.Text.Json.Serialization.JsonSerializable(typeof(SortedDictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(EngineEvent))]
public sealed partial class EventJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
