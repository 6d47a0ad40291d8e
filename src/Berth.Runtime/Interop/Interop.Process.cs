// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGPIPE = 13, SIGTERM = 15,
        SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28, NSIG = 65;

    internal const short POSIX_SPAWN_RESETIDS = 0x01, POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04,
        POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;

    internal const int WNOHANG = 1, __WALL = 0x40000000;

    internal const int PR_SET_PDEATHSIG = 1, PR_SET_DUMPABLE = 4, PR_SET_KEEPCAPS = 8, PR_CAPBSET_READ = 23,
        PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_CAP_AMBIENT = 47,
        PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4, PR_SET_CHILD_SUBREAPER = 36;

    // Opaque glibc types, sized generously (posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336,
    // sigset_t 128 on x86_64 and arm64).
    internal const int SpawnFileActionsSize = 512, SpawnAttrSize = 1024, SigSetSize = 128;

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newfd);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawn_file_actions_addclosefrom_np(void* fileActions, int from);

    [LibraryImport(Libraries.Libc)]
    internal static partial int usleep(uint microseconds);

    [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int posix_spawn_file_actions_addchdir_np(void* fileActions, string path);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    // glibc 2.35+: the child makes its process group the terminal's foreground group before it executes.
    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawn_file_actions_addtcsetpgrp_np(void* fileActions, int fd);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawnattr_setsigmask(void* attr, void* sigmask);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int sigemptyset(void* set);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int sigfillset(void* set);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int sigdelset(void* set, int signum);

    [LibraryImport(Libraries.Libc)]
    internal static unsafe partial int pthread_sigmask(int how, void* set, void* oldset);

    internal const int SIG_SETMASK = 2;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint signal(int signum, nint handler);

    internal const nint SIG_DFL = 0, SIG_IGN = 1;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    [LibraryImport(Libraries.Libc)]
    internal static partial int getpid();

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int setsid();

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int execve(byte* path, byte** argv, byte** envp);

    [LibraryImport(Libraries.Libc, EntryPoint = "_exit")]
    internal static partial void _exit(int status);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [StructLayout(LayoutKind.Sequential)]
    internal struct cap_user_header
    {
        public uint version;
        public int pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct cap_user_data
    {
        public uint effective;
        public uint permitted;
        public uint inheritable;
    }

    internal const uint _LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int capset(cap_user_header* header, cap_user_data* data);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int capget(cap_user_header* header, cap_user_data* data);

    [StructLayout(LayoutKind.Sequential)]
    internal struct rlimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int prlimit(int pid, int resource, rlimit* newLimit, rlimit* oldLimit);

    internal static int pidfd_open(int pid) => (int)syscall(SyscallNumbers.pidfd_open, pid, 0, 0, 0, 0, 0);

    internal static int pidfd_send_signal(int pidfd, int sig) =>
        (int)syscall(SyscallNumbers.pidfd_send_signal, pidfd, sig, 0, 0, 0, 0);

    // Raw, per-thread credential calls: glibc's setresuid/setgroups broadcast the change to every thread
    // (POSIX semantics); the init changes credentials on the one thread that will execve.
    internal static int setresuid_thread(uint r, uint e, uint s) => (int)syscall(SyscallNumbers.setresuid, r, e, s, 0, 0, 0);

    internal static int setresgid_thread(uint r, uint e, uint s) => (int)syscall(SyscallNumbers.setresgid, r, e, s, 0, 0, 0);

    internal static unsafe int setgroups_thread(ReadOnlySpan<uint> groups)
    {
        fixed (uint* p = groups)
            return (int)syscall(SyscallNumbers.setgroups, groups.Length, (long)p, 0, 0, 0, 0);
    }
}
