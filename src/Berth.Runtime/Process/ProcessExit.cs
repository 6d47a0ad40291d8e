using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;
using static Berth.Runtime.Interop.Interop;

namespace Berth.Runtime.Process;

/// <summary>
/// Waits for a process that need not be our child to exit, without polling: a pidfd becomes readable when the
/// process it names exits (pidfd_open(2), Linux 5.3), and poll(2) sleeps until then, the timeout, or cancellation
/// (an eventfd in the same poll). The start time pins the process: a recycled PID is never waited for.
/// </summary>
public static unsafe class ProcessExit
{
    /// <summary>True when the process <paramref name="pid"/> started at <paramref name="startTime"/> is gone (or
    /// goes within <paramref name="timeout"/>); false on timeout. Blocks the calling thread.</summary>
    public static bool Wait(int pid, ulong startTime, TimeSpan timeout, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (pid <= 0) return true;
        var fd = pidfd_open(pid);
        if (fd < 0) return Last == ESRCH || !ProcessInfo.IsAlive(pid, startTime) ? true : throw new SyscallException(Last, "pidfd_open", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var pidfd = new SafeFdHandle(fd);
        // Opened first, checked second: if the start time still matches, the pidfd names that very process.
        if (!ProcessInfo.IsAlive(pid, startTime)) return true;
        using var cancel = new SafeFdHandle(CheckIo(eventfd(0, EFD_CLOEXEC), "eventfd"));
        using var registration = ct.Register(() =>
        {
            ulong one = 1;
            write(cancel.Fd, (byte*)&one, sizeof(ulong));
        });
        var deadline = timeout == Timeout.InfiniteTimeSpan || timeout == TimeSpan.MaxValue ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var fds = stackalloc pollfd[2];
        while (true)
        {
            fds[0] = new pollfd { fd = pidfd.Fd, events = POLLIN };
            fds[1] = new pollfd { fd = cancel.Fd, events = POLLIN };
            var left = deadline == long.MaxValue ? -1 : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
            var n = poll(fds, 2, left);
            if (n < 0 && Last == EINTR) continue;
            CheckIo(n, "poll", "pidfd");
            if ((fds[0].revents & POLLIN) != 0) return true;
            ct.ThrowIfCancellationRequested();
            if (n == 0) return false;
        }
    }

    /// <summary>As <see cref="Wait"/>, on a thread of its own, for callers that await.</summary>
    public static Task<bool> WaitAsync(int pid, ulong startTime, TimeSpan timeout, CancellationToken ct) =>
        Task.Factory.StartNew(() => Wait(pid, startTime, timeout, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
