using Berth.Oci.Errors;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Init;
using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime;

/// <summary>A container created by this process, which is its init's parent: the one place its exit status can be
/// collected. Lifecycle: <see cref="ContainerRuntime.Create"/> → <see cref="Start"/> → <see cref="WaitAsync"/> →
/// <see cref="ContainerRuntime.Delete"/>. Other processes use the runtime's id-based calls.</summary>
public sealed class Container : IDisposable
{
    private readonly ContainerRuntime _runtime;
    private readonly ICgroupManager _cgroup;
    private readonly SafeFdHandle _sync;
    private readonly Lock _reaping = new();
    private Task<ExitStatus>? _exit;

    internal Container(ContainerRuntime runtime, string id, int pid, ICgroupManager cgroup, SafeFdHandle sync, SafeFdHandle? console)
    {
        _runtime = runtime;
        Id = id;
        Pid = pid;
        _cgroup = cgroup;
        _sync = sync;
        Console = console;
    }

    public string Id { get; }

    /// <summary>The init's PID in the caller's PID namespace.</summary>
    public int Pid { get; }

    /// <summary>The pty master when the process has a terminal and no console socket was given.</summary>
    public SafeFdHandle? Console { get; }

    /// <summary>Runs the command (OCI <c>start</c>) and waits until it has been exec'd: a command that fails to
    /// execute surfaces here as <see cref="ContainerExecException"/>.</summary>
    public void Start()
    {
        _runtime.Start(Id);
        // The init's end of the sync socket closes on exec; anything before that is a report of why it did not.
        var buffer = new byte[64 * 1024];
        var n = ReceiveWithFd(_sync, buffer, out var stray);
        stray?.Dispose();
        if (n == 0) return;
        var message = InitMessage.Decode(buffer.AsSpan(0, n));
        if (message.Type == InitMessage.Exec) throw new ContainerExecException(message.ExitCode, message.Message ?? "exec failed");
        throw new BerthException(message.Kind, $"container {Id}: {message.Message}");
    }

    /// <summary>Completes when the init exits, with its status and whether the OOM killer struck.</summary>
    public Task<ExitStatus> WaitAsync(CancellationToken ct)
    {
        lock (_reaping) _exit ??= Task.Factory.StartNew(Reap, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return _exit.WaitAsync(ct);
    }

    /// <summary>Blocks the calling thread until the init exits: no reaper thread for callers that only wait (an
    /// attached <c>run</c>); <see cref="WaitAsync"/> callers elsewhere get the same status.</summary>
    public ExitStatus Wait()
    {
        TaskCompletionSource<ExitStatus> reaped;
        lock (_reaping)
        {
            if (_exit is { } started) return started.GetAwaiter().GetResult();
            reaped = new TaskCompletionSource<ExitStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
            _exit = reaped.Task;
        }
        var status = Reap();
        reaped.SetResult(status);
        return status;
    }

    private ExitStatus Reap() => ExitStatus.FromWaitStatus(Process.ProcessLauncher.Wait(Pid), _cgroup.OomKillCount() > 0);

    public void Dispose()
    {
        _sync.Dispose();
        Console?.Dispose();
    }
}
