using Berth.Runtime.Interop;
using static Berth.Runtime.Interop.Interop;

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
        lock (_lock)
        {
            if (_status is { } done) return done;
            int status;
            while (waitpid(Pid, out status, 0) < 0)
            {
                // ECHILD: reaped elsewhere; the status is lost, reported as killed (as for a lost container).
                if (LastErrno != EINTR) return _status = new ExitStatus(137, 9, false);
            }
            return _status = ExitStatus.FromWaitStatus(status, false);
        }
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
