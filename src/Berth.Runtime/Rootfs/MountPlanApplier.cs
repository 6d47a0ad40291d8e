using Berth.Oci.Errors;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Interop;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Rootfs;

/// <summary>Executes a <see cref="MountPlan"/> inside the container's mount namespace (in the init, as root, before
/// credentials change). Every destination is resolved inside the root to a descriptor and mounted through
/// <c>/proc/self/fd/N</c>, so a destination swapped for a symlink cannot redirect a mount onto the host
/// (CVE-2021-30465).</summary>
internal sealed class MountPlanApplier(CgroupLayout cgroups) : IDisposable
{
    // Bind mounts over these /proc files are what lxcfs does; every other mount on /proc is refused
    // (runc checkProcMount, CVE-2019-16884, CVE-2019-19921).
    private static readonly string[] ProcBindAllowlist =
        ["/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo"];

    private SafeFdHandle? _root;
    private string _rootPath = "/";

    /// <summary>Runs right before pivot_root, with every mount in place (the OCI createRuntime and createContainer
    /// hooks).</summary>
    public Action? BeforePivotRoot { get; init; }

    public SafeFdHandle? ConsoleMaster { get; private set; }
    public SafeFdHandle? ConsoleSlave { get; private set; }

    private SafeFdHandle Root => _root ?? throw new InvalidOperationException("root not prepared");

    public void Apply(MountPlan plan)
    {
        foreach (var step in plan.Steps) Apply(step);
    }

    public void Apply(MountStep step)
    {
        switch (step)
        {
            case SetRootPropagation p:
                CheckIo(mount(null, "/", null, p.Flags, null), "mount (propagation)", "/");
                break;
            case PrepareRoot r:
                PrepareRoot(r);
                break;
            case MountFilesystem m:
                MountOne(m);
                break;
            case MountCgroups c:
                MountCgroups(c);
                break;
            case CreateDevice d:
                CreateDevice(d);
                break;
            case CreateSymlink l:
                CreateSymlink(l);
                break;
            case SetupConsole c:
                SetupConsole(c);
                break;
            case PivotRoot:
                BeforePivotRoot?.Invoke();
                DoPivotRoot();
                break;
            case WriteSysctl s:
                WriteSysctl(s);
                break;
            case ReadonlyPath r:
                MakeReadonly(r.Path);
                break;
            case MaskPath m:
                Mask(m.Path);
                break;
            case RemountRootReadonly:
                CheckIo(mount(null, "/", null, MS_BIND | MS_REMOUNT | MS_RDONLY | LockedFlags(Root), null), "remount ro", "/");
                break;
            default:
                throw new BerthException(ErrorKind.Internal, $"unknown mount step {step}");
        }
    }

    private void PrepareRoot(PrepareRoot r)
    {
        if (r.RootMount is { } m)
        {
            var o = MountOptions.Parse(m.Options);
            CheckIo(mount(m.Source ?? m.Type, r.RootfsPath, m.Type, o.Flags & ~MS_REMOUNT, o.Data.Length == 0 ? null : o.Data), "mount root", r.RootfsPath);
        }
        else
        {
            // pivot_root needs the new root to be a mount point.
            CheckIo(mount(r.RootfsPath, r.RootfsPath, null, MS_BIND | MS_REC, null), "bind rootfs", r.RootfsPath);
        }
        // Opened after the mount, so the descriptor names the mounted tree and not the directory beneath it.
        _root = PathInRoot.OpenRoot(r.RootfsPath);
        _rootPath = PathInRoot.RealPath(_root);
    }

    private void MountOne(MountFilesystem m)
    {
        var o = m.Options;
        if (o.IsBind)
        {
            using var source = OpenFd(m.Source, O_PATH);
            var isDir = (Stat(source, m.Source).stx_mode & S_IFMT) == S_IFDIR;
            using var dest = isDir ? PathInRoot.MkdirAll(Root, m.Destination) : PathInRoot.CreateFile(Root, m.Destination);
            CheckDestination(dest, m);
            CheckIo(mount(source.ProcPath, dest.ProcPath, null, MS_BIND | (o.Flags & MS_REC), null), "bind mount", $"{m.Source} on {m.Destination}");
            var extra = o.Flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
            if (extra != 0)
            {
                // A bind ignores flags on creation; they take effect on a remount of the new mount (reopened, so the
                // descriptor names it rather than the directory it covers).
                using var mounted = PathInRoot.Open(Root, m.Destination, O_PATH);
                CheckIo(mount(null, mounted.ProcPath, null, MS_BIND | MS_REMOUNT | extra | LockedFlags(mounted), null), "remount", m.Destination);
            }
        }
        else
        {
            using var dest = PathInRoot.MkdirAll(Root, m.Destination);
            CheckDestination(dest, m);
            CheckIo(mount(m.Source, dest.ProcPath, m.Type, o.Flags & ~(MS_BIND | MS_REC | MS_REMOUNT), o.Data.Length == 0 ? null : o.Data),
                "mount", $"{m.Type} on {m.Destination}");
        }
        if (o.Propagation != 0)
        {
            using var mounted = PathInRoot.Open(Root, m.Destination, O_PATH);
            CheckIo(mount(null, mounted.ProcPath, null, o.Propagation, null), "mount (propagation)", m.Destination);
        }
    }

    /// <summary>Defence in depth over the resolver: the descriptor's real path must lie in the root, and nothing but
    /// procfs itself (and lxcfs-style file binds) may land on /proc.</summary>
    private void CheckDestination(SafeFdHandle dest, MountFilesystem m)
    {
        var real = PathInRoot.RealPath(dest);
        var inside = _rootPath == "/" ? real : real == _rootPath ? "/" : real.StartsWith(_rootPath + "/", StringComparison.Ordinal) ? real[_rootPath.Length..] : null;
        if (inside is null)
            throw new BerthException(ErrorKind.PermissionDenied, $"mount destination {m.Destination} resolves outside the rootfs ({real})");
        if (inside == "/proc" || inside.StartsWith("/proc/", StringComparison.Ordinal))
        {
            var ok = (m.Type == "proc" && inside == "/proc") || (m.Options.IsBind && ProcBindAllowlist.Contains(inside));
            if (!ok) throw new BerthException(ErrorKind.PermissionDenied, $"mount destination {m.Destination} resolves to {inside}: mounts on /proc are not allowed");
        }
        if (m.Type == "proc" && inside != "/proc")
            throw new BerthException(ErrorKind.PermissionDenied, $"proc mount destination {m.Destination} resolves to {inside}, not /proc");
    }

    private void MountCgroups(MountCgroups c)
    {
        var flags = c.Options.Flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        using var dest = PathInRoot.MkdirAll(Root, c.Destination);
        CheckDestination(dest, new MountFilesystem(c.Destination, "cgroup", "cgroup", c.Options));
        if (cgroups.Unified)
        {
            CheckIo(mount("cgroup2", dest.ProcPath, "cgroup2", flags, null), "mount cgroup2", c.Destination);
            return;
        }
        // v1 or hybrid: a tmpfs holding one mount per hierarchy, each rooted at the container's cgroup by the
        // cgroup namespace, then the tmpfs made read-only as well.
        CheckIo(mount("tmpfs", dest.ProcPath, "tmpfs", flags & ~MS_RDONLY, "mode=755"), "mount tmpfs", c.Destination);
        using var dir = PathInRoot.Open(Root, c.Destination, O_PATH | O_DIRECTORY);
        foreach (var h in cgroups.Hierarchies)
        {
            var rc = mkdirat(dir.Fd, h.Name, 0x1ED);
            if (rc < 0 && Last != EEXIST) CheckIo(rc, "mkdir", $"{c.Destination}/{h.Name}");
            using var target = OpenAt(dir, h.Name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
            if (h.FsType == "cgroup2")
                CheckIo(mount("cgroup2", target.ProcPath, "cgroup2", flags, null), "mount cgroup2", $"{c.Destination}/{h.Name}");
            else
                CheckIo(mount("cgroup", target.ProcPath, "cgroup", flags, h.Options), "mount cgroup", $"{c.Destination}/{h.Name}");
        }
        if ((flags & MS_RDONLY) != 0)
        {
            using var again = PathInRoot.Open(Root, c.Destination, O_PATH | O_DIRECTORY);
            CheckIo(mount("tmpfs", again.ProcPath, "tmpfs", MS_REMOUNT | flags, "mode=755"), "remount ro", c.Destination);
        }
    }

    private void CreateDevice(CreateDevice d)
    {
        using var parent = PathInRoot.MkdirAll(Root, Path.GetDirectoryName(d.Path) ?? "/");
        var name = Path.GetFileName(d.Path);
        uint kind = d.Type switch { 'c' => S_IFCHR, 'b' => S_IFBLK, _ => S_IFIFO };
        var dev = MakeDev((ulong)d.Major, (ulong)d.Minor);
        var rc = mknodat(parent.Fd, name, kind | (d.Mode & 0xFFF), dev);
        if (rc < 0 && Last == EEXIST) return;
        CheckIo(rc, "mknod", d.Path);
        CheckIo(fchownat(parent.Fd, name, d.Uid, d.Gid, AT_SYMLINK_NOFOLLOW), "chown", d.Path);
    }

    internal static ulong MakeDev(ulong major, ulong minor) =>
        ((major & 0xfffff000UL) << 32) | ((major & 0xfffUL) << 8) | ((minor & 0xffffff00UL) << 12) | (minor & 0xffUL);

    private void CreateSymlink(CreateSymlink l)
    {
        using var parent = PathInRoot.MkdirAll(Root, Path.GetDirectoryName(l.Path) ?? "/");
        var rc = symlinkat(l.Target, parent.Fd, Path.GetFileName(l.Path));
        if (rc < 0 && Last != EEXIST) CheckIo(rc, "symlink", l.Path);
    }

    private unsafe void SetupConsole(SetupConsole c)
    {
        // The pty comes from the container's own devpts instance (newinstance), opened through the root.
        var master = PathInRoot.Open(Root, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
        var unlock = 0;
        CheckIo(ioctl(master.Fd, TIOCSPTLCK, &unlock), "ioctl(TIOCSPTLCK)");
        // TIOCGPTPEER opens the peer from the master itself, never by a /dev/pts path the container could race
        // (CVE-2025-52565).
        var peer = new SafeFdHandle(CheckIo(ioctl(master.Fd, TIOCGPTPEER, (nint)(O_RDWR | O_NOCTTY | O_CLOEXEC)), "ioctl(TIOCGPTPEER)"));
        if (c.Rows > 0 && c.Columns > 0)
        {
            var ws = new winsize { ws_row = c.Rows, ws_col = c.Columns };
            CheckIo(ioctl(master.Fd, TIOCSWINSZ, &ws), "ioctl(TIOCSWINSZ)");
        }
        using (var console = PathInRoot.CreateFile(Root, "/dev/console", 0x1B6))
            CheckIo(mount(peer.ProcPath, console.ProcPath, null, MS_BIND, null), "bind /dev/console");
        ConsoleMaster = master;
        ConsoleSlave = peer;
    }

    private void DoPivotRoot()
    {
        CheckIo(fchdir(Root.Fd), "fchdir", _rootPath);
        // pivot_root(".", ".") stacks the old root under the new one at "."; detaching "." then removes it
        // without needing a directory for it inside the rootfs (runc, since 2019).
        CheckIo(pivot_root(".", "."), "pivot_root", _rootPath);
        // rslave first, so the detach below does not propagate back to the host's mounts.
        CheckIo(mount(null, ".", null, MS_SLAVE | MS_REC, null), "mount (rslave old root)");
        CheckIo(umount2(".", MNT_DETACH), "umount old root");
        CheckIo(chdir("/"), "chdir", "/");
        _root?.Dispose();
        _root = PathInRoot.OpenRoot("/");
        _rootPath = "/";
    }

    private void WriteSysctl(WriteSysctl s)
    {
        if (s.Key.Length == 0 || s.Key.Contains("..", StringComparison.Ordinal) || s.Key.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-' or '/')))
            throw BerthException.Invalid($"invalid sysctl {s.Key}");
        var path = "/proc/sys/" + s.Key.Replace('.', '/');
        using var fd = PathInRoot.Open(Root, path, O_WRONLY | O_TRUNC);
        if (FsType(fd, path) != PROC_SUPER_MAGIC) throw new BerthException(ErrorKind.PermissionDenied, $"sysctl {s.Key}: {path} is not on procfs");
        WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(s.Value), path);
    }

    private void MakeReadonly(string path)
    {
        SafeFdHandle fd;
        try { fd = PathInRoot.Open(Root, path, O_PATH); }
        catch (SyscallException e) when (e.Errno == ENOENT) { return; }
        using (fd)
            CheckIo(mount(fd.ProcPath, fd.ProcPath, null, MS_BIND | MS_REC, null), "bind", path);
        using var mounted = PathInRoot.Open(Root, path, O_PATH);
        CheckIo(mount(null, mounted.ProcPath, null, MS_BIND | MS_REMOUNT | MS_RDONLY | LockedFlags(mounted), null), "remount ro", path);
    }

    private void Mask(string path)
    {
        SafeFdHandle fd;
        try { fd = PathInRoot.Open(Root, path, O_PATH); }
        catch (SyscallException e) when (e.Errno is ENOENT or ENOTDIR) { return; }
        using (fd)
        {
            if ((Stat(fd, path).stx_mode & S_IFMT) == S_IFDIR)
            {
                CheckIo(mount("tmpfs", fd.ProcPath, "tmpfs", MS_RDONLY, "size=0,nr_inodes=1"), "mask", path);
                return;
            }
            // CVE-2025-31133: /dev/null must really be the null device, not something the container put there.
            using var devNull = PathInRoot.Open(Root, "/dev/null", O_PATH | O_NOFOLLOW);
            var st = Stat(devNull, "/dev/null");
            if ((st.stx_mode & S_IFMT) != S_IFCHR || st.stx_rdev_major != 1 || st.stx_rdev_minor != 3)
                throw new BerthException(ErrorKind.PermissionDenied, "/dev/null is not the null device (1:3); refusing to mask with it");
            CheckIo(mount(devNull.ProcPath, fd.ProcPath, null, MS_BIND, null), "mask", path);
        }
    }

    /// <summary>nosuid/nodev/noexec/atime flags of the mount a descriptor is on: a read-only remount must keep them
    /// (and in a user namespace must, or the kernel refuses).</summary>
    private static unsafe ulong LockedFlags(SafeFdHandle fd)
    {
        var buf = stackalloc byte[256];
        CheckIo(fstatfs(fd.Fd, buf), "fstatfs");
        // f_flags: ST_NOSUID=2, ST_NODEV=4, ST_NOEXEC=8, ST_NOATIME=1024 and ST_NODIRATIME=2048 equal their MS_
        // counterparts; ST_RELATIME (4096) does not.
        var f = (ulong)*(long*)(buf + 80);
        var flags = f & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME);
        if ((f & 4096) != 0) flags |= MS_RELATIME;
        return flags;
    }

    public void Dispose()
    {
        _root?.Dispose();
    }
}
