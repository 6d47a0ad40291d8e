using System.Runtime.InteropServices;
using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Process;

/// <summary>Starts the container init — berth itself, re-executed as <c>berth init</c> — inside new namespaces.
/// This is berth's answer to the fork gap: a .NET process is multi-threaded from its first instruction, so it may not
/// fork and keep running managed code, and runc's trick (a C constructor that runs before the Go runtime) has no
/// NativeAOT equivalent we want. Instead:
/// <code>
///  caller thread            spawn thread (dedicated)                         berth init (new PID 1)
///  ─────────────            ───────────────────────                          ──────────────────────
///  prepare argv/env,
///  file actions (native) ─► "0" → cgroup v1 tasks files (moves only this thread; the init is born inside)
///                           setns(path) for joined namespaces
///                           unshare(NEWNS|NEWUTS|NEWIPC|NEWPID|NEWNET)
///                             (per-thread: the rest of the process is untouched)
///                           mount("/", MS_SLAVE|MS_REC)
///                           bind berth's binary read-only over itself
///                           posix_spawn(berth init) ─────────────────────────► starts as PID 1, in all the
///                           thread ends (it may create no thread after          namespaces, fd 3 = sync socket
///                             unshare(NEWPID), and it does not)
///  join: pid ◄──────────────┘
///  send InitConfig ───────────────────────────────────────────────────────────► (parses it while we wait)
///  cgroup v2: cgroup.procs ← pid
///  send "cgroup joined" ───────────────────────────────────────────────────────► unshare(NEWCGROUP), mounts,
///                                                                                pivot_root, creds, seccomp
///  ◄───────────────────────────────────────────────────────────────────────────  "ready"
///  (start) open exec.fifo ─────────────────────────────────────────────────────► fifo opened → execve(command)
/// </code>
/// The spawn thread only makes system calls on buffers prepared before it starts; it allocates nothing managed, so it
/// cannot trigger the lazy start of a runtime thread (which would fail with EINVAL once the thread's PID namespace for
/// children differs). glibc's posix_spawn uses clone(CLONE_VM|CLONE_VFORK) and runs no managed code in the child.
/// <para>CVE-2019-5736: the init must not be backed by a host file the container can reopen for writing. In the new
/// mount namespace (before spawning), berth's binary is bind-mounted read-only over itself, so /proc/[pid]/exe of
/// the init names a read-only mount and a reopen for writing fails with EROFS. The bind exists only in the
/// container's namespace and vanishes with it. This is runc's former "read-only bind" approach; it is cheaper than
/// copying the binary into a sealed memfd on every start, and it also covers the apphost used in development. A
/// privileged container (CAP_SYS_ADMIN) could remount it; the init is non-dumpable as well, so no container process
/// can open /proc/1/exe while the init still runs berth.</para></summary>
internal static unsafe class InitSpawner
{
    internal sealed record Request
    {
        public required string InitPath { get; init; }
        public required int UnshareFlags { get; init; }
        public IReadOnlyList<(SafeFdHandle Fd, int Type)> Joins { get; init; } = [];
        /// <summary>The child's fd 3; null for a plain child with stdio only (the container monitor).</summary>
        public required SafeFdHandle? SyncChild { get; init; }
        public ContainerStdio? Stdio { get; init; }
        public bool ProtectBinary { get; init; } = true;
        /// <summary>The init's arguments: <c>berth init</c>, or <c>berth init exec</c> to join a running container.</summary>
        public IReadOnlyList<string> Args { get; init; } = ["berth", "init"];
        /// <summary>Further descriptors for the child, numbered from 4 in order (the mount namespace for exec).</summary>
        public IReadOnlyList<SafeFdHandle> ExtraFds { get; init; } = [];
        /// <summary>cgroup files (v1 <c>tasks</c>, opened for writing) that the spawn thread writes "0" to before it
        /// spawns, so the child is born in the container's cgroups (<see cref="Cgroups.ICgroupManager.ThreadFiles"/>).</summary>
        public IReadOnlyList<SafeFdHandle> CgroupThreadFiles { get; init; } = [];
        /// <summary>NAME=value entries for the child's environment, before those passed through.</summary>
        public IReadOnlyList<string> Environment { get; init; } = [];
    }

    /// <summary>Spawns the init and returns its PID (as seen from the caller's PID namespace).</summary>
    public static int Spawn(Request r)
    {
        using var native = new NativeStrings();
        var fileActions = NativeMemory.AllocZeroed(SpawnFileActionsSize);
        var attr = NativeMemory.AllocZeroed(SpawnAttrSize);
        var sigset = NativeMemory.AllocZeroed(SigSetSize);
        var sigdefault = NativeMemory.AllocZeroed(SigSetSize);
        try
        {
            var path = native.Utf8(r.InitPath);
            var argv = native.Array(r.Args);
            // The init reads its configuration from the sync socket, not the environment; pass only what the .NET
            // host of a development build needs to start.
            var env = r.Environment.Concat(System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COREHOST_", StringComparison.Ordinal) || k == Berth.Oci.Diagnostics.Timeline.Variable)
                .Select(k => $"{k}={System.Environment.GetEnvironmentVariable(k)}")).ToList();
            var envp = native.Array(env);

            Check(posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            // stdio first: a caller's descriptor may happen to be number 3, which the sync socket takes next.
            if (r.Stdio is { } stdio)
            {
                if (stdio.Stdin is { } i) Check(posix_spawn_file_actions_adddup2(fileActions, (int)i.DangerousGetHandle(), 0), "adddup2");
                if (stdio.Stdout is { } o) Check(posix_spawn_file_actions_adddup2(fileActions, (int)o.DangerousGetHandle(), 1), "adddup2");
                if (stdio.Stderr is { } e) Check(posix_spawn_file_actions_adddup2(fileActions, (int)e.DangerousGetHandle(), 2), "adddup2");
            }
            var next = 3;
            if (r.SyncChild is { } syncChild) Check(posix_spawn_file_actions_adddup2(fileActions, syncChild.Fd, next++), "adddup2");
            foreach (var extra in r.ExtraFds) Check(posix_spawn_file_actions_adddup2(fileActions, extra.Fd, next++), "adddup2");
            // Nothing else crosses into the init (CVE-2024-21626), even a descriptor someone forgot to mark CLOEXEC.
            Check(posix_spawn_file_actions_addclosefrom_np(fileActions, next), "addclosefrom_np");
            sigemptyset(sigset);
            sigfillset(sigdefault);
            Check(posix_spawnattr_setsigmask(attr, sigset), "setsigmask");
            Check(posix_spawnattr_setsigdefault(attr, sigdefault), "setsigdefault");
            Check(posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "setflags");

            var joins = r.Joins.Select(j => (j.Fd.Fd, j.Type)).ToArray();
            var cgroupFiles = r.CgroupThreadFiles.Select(f => f.Fd).ToArray();
            var flags = r.UnshareFlags;
            var protect = r.ProtectBinary && (flags & CLONE_NEWNS) != 0;
            var initPath = r.InitPath;
            int pid = 0, error = 0;
            string? failedStep = null;

            var thread = new Thread(() =>
            {
                byte zero = (byte)'0';
                foreach (var fd in cgroupFiles)
                {
                    if (write(fd, &zero, 1) != 1) { error = Last; failedStep = "join cgroup (tasks)"; return; }
                }
                foreach (var (fd, type) in joins)
                {
                    if (type == CLONE_NEWNS && unshare(CLONE_FS) != 0) { error = Last; failedStep = "unshare(CLONE_FS)"; return; }
                    if (setns(fd, type) != 0) { error = Last; failedStep = "setns"; return; }
                }
                if (unshare(flags) != 0) { error = Last; failedStep = "unshare"; return; }
                if ((flags & CLONE_NEWNS) != 0 && mount(null, "/", null, MS_SLAVE | MS_REC, null) != 0)
                {
                    error = Last; failedStep = "mount(/, rslave)"; return;
                }
                if (protect)
                {
                    if (mount(initPath, initPath, null, MS_BIND, null) != 0) { error = Last; failedStep = "bind init binary"; return; }
                    if (mount(null, initPath, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null) != 0) { error = Last; failedStep = "remount init binary ro"; return; }
                }
                var rc = posix_spawn(out pid, path, fileActions, attr, argv, envp);
                if (rc != 0) { error = rc; failedStep = "posix_spawn"; }
            }, 256 * 1024) { IsBackground = true, Name = "berth-spawn" };
            thread.Start();
            thread.Join();

            if (failedStep is not null) throw new SyscallException(error, failedStep, r.InitPath);
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
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new SyscallException(rc, what, null);
    }
}
