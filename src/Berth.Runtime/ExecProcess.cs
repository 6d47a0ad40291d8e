using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime;

/// <summary>A process started in a running container by <see cref="ContainerRuntime.Exec"/>; this process is its
/// parent and the one place its exit status can be collected. It is already running the command when it is handed
/// out. Disposing it leaves the process running (a detached exec) and closes the pty master.</summary>
public sealed class ExecProcess : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SafeFdHandle? _pidfd;
    private readonly Lazy<Task<ExitStatus>> _exit;
    private ExitStatus? _status;

    internal ExecProcess(int pid, SafeFdHandle? console)
    {
        Pid = pid;
        Console = console;
        // A pidfd keeps naming this process after it has been reaped, so a signal never reaches a recycled PID.
        var fd = pidfd_open(pid);
        _pidfd = fd >= 0 ? new SafeFdHandle(fd) : null;
        _exit = new Lazy<Task<ExitStatus>>(() => Task.Factory.StartNew(Wait, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    /// <summary>The process's PID in the caller's PID namespace.</summary>
    public int Pid { get; }

    /// <summary>The pty master when the process has a terminal and no console socket was given.</summary>
    public SafeFdHandle? Console { get; }

    /// <summary>Blocks until the process exits: its code, or 128+n when signal n killed it.</summary>
    public ExitStatus Wait()
    {
        // Reaped elsewhere (ECHILD): the status is lost, reported as killed (as for a lost container).
        lock (_lock) return _status ??= ExitStatus.FromWaitStatus(Process.ProcessLauncher.Wait(Pid), false);
    }

    public Task<ExitStatus> WaitAsync(CancellationToken ct) => _exit.Value.WaitAsync(ct);

    /// <summary>Sends <paramref name="signal"/> to the process; false when it has exited.</summary>
    public bool Signal(int signal) => _pidfd is not null && pidfd_send_signal(_pidfd.Fd, signal) == 0;

    public void Dispose()
    {
        Console?.Dispose();
        _pidfd?.Dispose();
    }
}
