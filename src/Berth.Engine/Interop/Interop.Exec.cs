// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using Berth.Runtime.Interop;

namespace Berth.Engine.Interop;

/// <summary>Joining a running container (<c>exec</c>): namespaces, spawning, credentials, the exec itself, and the
/// sync socket with descriptor passing.</summary>
internal static partial class Interop
{
    internal const int CLONE_FS = 0x200, CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
        CLONE_NEWIPC = 0x08000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;
    internal const int EINTR = 4, ENOENT = 2, ENOTDIR = 20, EACCES = 13, EINVAL = 22;
    internal const int O_PATH = 0x200000, O_DIRECTORY = 0x10000;
    internal const int X_OK = 1, F_OK = 0;
    internal const int PR_SET_DUMPABLE = 4, PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38,
        PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const int SpawnFileActionsSize = 512, SpawnAttrSize = 1024, SigSetSize = 128;
    internal const int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, SOL_SOCKET = 1, SCM_RIGHTS = 1,
        MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;
    internal const ulong TIOCSCTTY = 0x540E, TIOCSPTLCK = 0x40045431, TIOCGPTPEER = 0x5441;
    internal const uint CLOSE_RANGE_CLOEXEC = 4;
    internal const int SIGPIPE = 13, SIG_SETMASK = 2;

    internal static int LastErrno => Marshal.GetLastPInvokeError();

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int unshare(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chdir(string path);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int access(string path, int mode);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int ioctl(int fd, ulong request, int* arg);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial nint signal(int signum, nint handler);

    [LibraryImport(Libc)]
    internal static unsafe partial int sigemptyset(void* set);

    [LibraryImport(Libc)]
    internal static unsafe partial int sigfillset(void* set);

    [LibraryImport(Libc)]
    internal static unsafe partial int pthread_sigmask(int how, void* set, void* oldset);

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int execve(byte* path, byte** argv, byte** envp);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newfd);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawn_file_actions_addclosefrom_np(void* fileActions, int from);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawnattr_setsigmask(void* attr, void* sigmask);

    [LibraryImport(Libc)]
    internal static unsafe partial int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

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

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int capset(cap_user_header* header, cap_user_data* data);

    [StructLayout(LayoutKind.Sequential)]
    internal struct rlimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int prlimit(int pid, int resource, rlimit* newLimit, rlimit* oldLimit);

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct cmsghdr
    {
        public nuint cmsg_len;
        public int cmsg_level;
        public int cmsg_type;
    }

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial nint sendmsg(int sockfd, msghdr* msg, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    internal static unsafe partial nint recvmsg(int sockfd, msghdr* msg, int flags);

    // Per-thread credential calls (glibc's wrappers change every thread: POSIX semantics); x86_64 and arm64.
    private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    internal static int setresuid_thread(uint r, uint e, uint s) => (int)syscall(Arm64 ? 147 : 117, r, e, s, 0, 0, 0);

    internal static int setresgid_thread(uint r, uint e, uint s) => (int)syscall(Arm64 ? 149 : 119, r, e, s, 0, 0, 0);

    internal static unsafe int setgroups_thread(ReadOnlySpan<uint> groups)
    {
        fixed (uint* p = groups) return (int)syscall(Arm64 ? 159 : 116, groups.Length, (long)p, 0, 0, 0, 0);
    }

    internal static int close_range(uint first, uint last, uint flags) => (int)syscall(436, first, last, flags, 0, 0, 0);

    internal static unsafe (SafeFdHandle Ours, SafeFdHandle Theirs) SocketPair()
    {
        var sv = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw new IOException($"socketpair: errno {LastErrno}");
        return (new SafeFdHandle(sv[0]), new SafeFdHandle(sv[1]));
    }

    /// <summary>Sends one message, optionally with a descriptor (SCM_RIGHTS); false when the peer is gone.</summary>
    internal static unsafe bool Send(int socket, ReadOnlySpan<byte> data, int fd = -1)
    {
        var control = stackalloc byte[64];
        new Span<byte>(control, 64).Clear();
        fixed (byte* p = data)
        {
            var iov = new iovec { iov_base = p, iov_len = (nuint)data.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1 };
            if (fd >= 0)
            {
                var c = (cmsghdr*)control;
                c->cmsg_len = (nuint)(sizeof(cmsghdr) + sizeof(int));
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                *(int*)(control + sizeof(cmsghdr)) = fd;
                msg.msg_control = control;
                msg.msg_controllen = (nuint)(sizeof(cmsghdr) + 8);
            }
            while (true)
            {
                var n = (long)sendmsg(socket, &msg, MSG_NOSIGNAL);
                if (n < 0 && LastErrno == EINTR) continue;
                return n == data.Length;
            }
        }
    }

    /// <summary>Receives one message (0 at end of stream); a passed descriptor comes back close-on-exec.</summary>
    internal static unsafe int Receive(int socket, Span<byte> buffer, out int fd)
    {
        fd = -1;
        var control = stackalloc byte[64];
        fixed (byte* p = buffer)
        {
            var iov = new iovec { iov_base = p, iov_len = (nuint)buffer.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 64 };
            long n;
            while (true)
            {
                n = (long)recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
                if (n < 0 && LastErrno == EINTR) continue;
                break;
            }
            if (n < 0) return 0;
            if (msg.msg_controllen >= (nuint)sizeof(cmsghdr))
            {
                var c = (cmsghdr*)control;
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) fd = *(int*)(control + sizeof(cmsghdr));
            }
            return (int)n;
        }
    }

    /// <summary>Spawns <paramref name="path"/> from a dedicated thread that first joins <paramref name="joins"/>
    /// (setns is per-thread, and a joined PID namespace applies to the children of that thread only). The thread
    /// allocates nothing managed after joining, and ends right after the spawn (see DESIGN.md § Runtime).
    /// <paramref name="fds"/> maps descriptors of ours to the child's numbers; nothing else is inherited.</summary>
    internal static unsafe int SpawnJoined(string path, IReadOnlyList<string> argv, IReadOnlyList<(int Fd, int Type)> joins, IReadOnlyList<(int From, int To)> fds)
    {
        var allocations = new List<nint>();
        byte* Utf8(string s)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(s + "\0");
            var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
            bytes.CopyTo(new Span<byte>(p, bytes.Length));
            allocations.Add((nint)p);
            return p;
        }
        byte** Array(IReadOnlyList<string> items)
        {
            var p = (byte**)NativeMemory.AllocZeroed((nuint)((items.Count + 1) * sizeof(nint)));
            allocations.Add((nint)p);
            for (var i = 0; i < items.Count; i++) p[i] = Utf8(items[i]);
            return p;
        }
        var fileActions = NativeMemory.AllocZeroed(SpawnFileActionsSize);
        var attr = NativeMemory.AllocZeroed(SpawnAttrSize);
        var sigset = NativeMemory.AllocZeroed(SigSetSize);
        var sigdefault = NativeMemory.AllocZeroed(SigSetSize);
        try
        {
            var cpath = Utf8(path);
            var cargv = Array(argv);
            var env = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COREHOST_", StringComparison.Ordinal))
                .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").ToList();
            var cenv = Array(env);
            posix_spawn_file_actions_init(fileActions);
            posix_spawnattr_init(attr);
            foreach (var (from, to) in fds)
                if (posix_spawn_file_actions_adddup2(fileActions, from, to) != 0) throw new IOException("posix_spawn_file_actions_adddup2 failed");
            posix_spawn_file_actions_addclosefrom_np(fileActions, fds.Max(f => f.To) + 1);
            sigemptyset(sigset);
            sigfillset(sigdefault);
            posix_spawnattr_setsigmask(attr, sigset);
            posix_spawnattr_setsigdefault(attr, sigdefault);
            posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

            var joinArray = joins.ToArray();
            int pid = 0, error = 0;
            var step = 0;
            var thread = new Thread(() =>
            {
                for (var i = 0; i < joinArray.Length; i++)
                {
                    if (setns(joinArray[i].Fd, joinArray[i].Type) != 0) { error = LastErrno; step = i + 1; return; }
                }
                var rc = posix_spawn(out pid, cpath, fileActions, attr, cargv, cenv);
                if (rc != 0) { error = rc; step = -1; }
            }, 256 * 1024) { IsBackground = true, Name = "berth-exec-spawn" };
            thread.Start();
            thread.Join();
            if (step > 0) throw new IOException($"setns (namespace {step}): errno {error}");
            if (step < 0) throw new IOException($"posix_spawn {path}: errno {error}");
            return pid;
        }
        finally
        {
            posix_spawn_file_actions_destroy(fileActions);
            posix_spawnattr_destroy(attr);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigset);
            NativeMemory.Free(sigdefault);
            foreach (var p in allocations) NativeMemory.Free((void*)p);
        }
    }

    internal static unsafe byte* NativeString(string s)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(s + "\0");
        var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        return p;
    }

    internal static unsafe byte** NativeArray(IReadOnlyList<string> items)
    {
        var p = (byte**)NativeMemory.AllocZeroed((nuint)((items.Count + 1) * sizeof(nint)));
        for (var i = 0; i < items.Count; i++) p[i] = NativeString(items[i]);
        return p;
    }

    /// <summary>Replaces this process image; returns the errno only when execve failed.</summary>
    internal static unsafe int Exec(string path, IReadOnlyList<string> args, IReadOnlyList<string> env)
    {
        var p = NativeString(path);
        var argv = NativeArray(args);
        var envp = NativeArray(env);
        // .NET ignores SIGPIPE and blocks some signals; neither may survive into the command.
        signal(SIGPIPE, 0);
        var empty = stackalloc byte[SigSetSize];
        sigemptyset(empty);
        pthread_sigmask(SIG_SETMASK, empty, null);
        close_range(3, uint.MaxValue, CLOSE_RANGE_CLOEXEC);
        execve(p, argv, envp);
        return LastErrno;
    }

    internal static unsafe int SetCapabilities(ulong effective, ulong permitted, ulong inheritable)
    {
        var header = new cap_user_header { version = 0x20080522, pid = 0 };
        var data = stackalloc cap_user_data[2];
        data[0] = new cap_user_data { effective = (uint)effective, permitted = (uint)permitted, inheritable = (uint)inheritable };
        data[1] = new cap_user_data { effective = (uint)(effective >> 32), permitted = (uint)(permitted >> 32), inheritable = (uint)(inheritable >> 32) };
        return capset(&header, data);
    }

    internal static unsafe int SetRlimit(int resource, ulong soft, ulong hard)
    {
        var r = new rlimit { rlim_cur = soft, rlim_max = hard };
        return prlimit(0, resource, &r, null);
    }

    /// <summary>Opens the pty master of the current mount namespace's /dev/ptmx and its peer (the slave).</summary>
    internal static unsafe (int Master, int Slave) OpenPty()
    {
        var master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
        if (master < 0) return (-1, LastErrno);
        var unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) != 0) { var e = LastErrno; close(master); return (-1, e); }
        var slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
        if (slave < 0) { var e = LastErrno; close(master); return (-1, e); }
        return (master, slave);
    }
}
