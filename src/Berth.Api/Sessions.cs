using System.Collections.Concurrent;
using Berth.Engine.Containers;

namespace Berth.Api;

/// <summary>The daemon's live stdio sessions: attaches that wait for their container's start (<c>docker run</c>
/// attaches before it starts the container), the sessions a resize goes to, and exec instances by ID (docker's
/// exec create → start → inspect). One per daemon; nothing static.</summary>
public sealed class Sessions
{
    /// <summary>Finished execs kept for their inspect (the CLI reads the exit code after the stream ends).</summary>
    private const int MaxFinishedExecs = 1000;

    private readonly ConcurrentDictionary<string, ConcurrentQueue<PendingAttach>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentBag<StdioSession>> _attached = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ExecInstance> _execs = new(StringComparer.Ordinal);

    /// <summary>An attach made before the start: the start completes it with the session. It is registered before
    /// the client has its answer (a client starts the container once it has), and its streams follow once the
    /// connection is taken over. Claimed once, by the start that connects it or by the attach itself when the start
    /// came first.</summary>
    public sealed record PendingAttach(TaskCompletionSource<AttachStreams> Streams, TaskCompletionSource<StdioSession> Session)
    {
        private int _claimed;

        public bool TryClaim() => !Session.Task.IsCompleted && Interlocked.Exchange(ref _claimed, 1) == 0;
    }

    public PendingAttach AddPending(string containerId)
    {
        var p = new PendingAttach(new TaskCompletionSource<AttachStreams>(TaskCreationOptions.RunContinuationsAsynchronously),
            new TaskCompletionSource<StdioSession>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending.GetOrAdd(containerId, _ => new ConcurrentQueue<PendingAttach>()).Enqueue(p);
        return p;
    }

    /// <summary>Takes the attaches waiting for <paramref name="containerId"/>'s start (those whose client left are
    /// dropped).</summary>
    public IReadOnlyList<PendingAttach> TakePending(string containerId)
    {
        if (!_pending.TryRemove(containerId, out var queue)) return [];
        return queue.Where(p => p.TryClaim()).ToList();
    }

    public void AddAttached(string containerId, StdioSession session)
    {
        var bag = _attached.GetOrAdd(containerId, _ => []);
        bag.Add(session);
        _ = session.WaitAsync(CancellationToken.None).ContinueWith(_ =>
        {
            // The last of a container's sessions to end takes its entry away.
            if (_attached.TryGetValue(containerId, out var b) && b.All(s => s.WaitAsync(CancellationToken.None).IsCompleted))
                _attached.TryRemove(containerId, out ConcurrentBag<StdioSession>? _);
        }, TaskScheduler.Default);
    }

    public IReadOnlyList<StdioSession> AttachedTo(string containerId) => _attached.TryGetValue(containerId, out var b) ? b.ToList() : [];

    public ExecInstance AddExec(ExecInstance exec)
    {
        if (_execs.Count >= MaxFinishedExecs)
            foreach (var old in _execs.Values.Where(e => e.ExitCode is not null).OrderBy(e => e.Created).Take(_execs.Count - MaxFinishedExecs + 1))
                _execs.TryRemove(old.Id, out _);
        _execs[exec.Id] = exec;
        return exec;
    }

    public ExecInstance GetExec(string id) =>
        _execs.TryGetValue(id, out var e) ? e : throw Oci.Errors.BerthException.NotFound($"No such exec instance: {id}");
}

/// <summary>One exec instance: what was asked at create, and its state once started.</summary>
public sealed class ExecInstance
{
    public required string Id { get; init; }
    public required string ContainerId { get; init; }
    public required ExecRequest Request { get; init; }
    public bool AttachStdin { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    public string DetachKeys { get; init; } = "";
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
    public volatile bool Running;
    public volatile bool Started;
    public int? ExitCode { get; set; }
    public StdioSession? Session { get; set; }
}
