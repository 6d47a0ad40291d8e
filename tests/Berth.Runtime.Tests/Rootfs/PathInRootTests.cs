using Berth.Runtime.Interop;
using Berth.Runtime.Rootfs;
using Berth.Testing;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Tests.Rootfs;

/// <summary>Container paths resolve inside the root whatever symlinks say (P1, CVE-2021-30465), with openat2 and with
/// the component walk used where openat2 is missing (crun's check-no-openat2 run, here as a theory parameter).</summary>
[Collection(nameof(PathInRootTests))]
[CollectionDefinition(nameof(PathInRootTests), DisableParallelization = true)]
public sealed class PathInRootTests : IDisposable
{
    private readonly TempDirectory _dir = new("berth-pathinroot");
    private readonly string _root;
    private readonly string _outside;

    public PathInRootTests()
    {
        _root = _dir.Sub("root");
        _outside = _dir.Sub("outside");
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc", "hostname"), "inside");
        File.WriteAllText(Path.Combine(_outside, "hostname"), "OUTSIDE");
        File.CreateSymbolicLink(Path.Combine(_root, "abs"), _outside);                     // absolute, to a host dir
        File.CreateSymbolicLink(Path.Combine(_root, "rel"), "../../../../../../" + _outside); // climbing out
        File.CreateSymbolicLink(Path.Combine(_root, "etclink"), "/etc");
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), "/made/by/mkdir");
        File.CreateSymbolicLink(Path.Combine(_root, "magic"), "/proc/self/root");
        File.CreateSymbolicLink(Path.Combine(_root, "loop"), "loop");
    }

    public static TheoryData<bool> Modes => new() { false, true };

    private T With<T>(bool walk, Func<SafeFdHandle, T> f)
    {
        var before = PathInRoot.DisableOpenat2;
        PathInRoot.DisableOpenat2 = walk;
        try
        {
            using var root = PathInRoot.OpenRoot(_root);
            return f(root);
        }
        finally
        {
            PathInRoot.DisableOpenat2 = before;
        }
    }

    private string RealOf(SafeFdHandle fd)
    {
        using (fd) return PathInRoot.RealPath(fd);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void AbsoluteSymlinkToAHostDirectoryStaysInside(bool walk)
    {
        // "abs -> /tmp/…/outside" means <root>/tmp/…/outside, which does not exist: never the host directory.
        var e = Assert.Throws<SyscallException>(() => With(walk, r => RealOf(PathInRoot.Open(r, "/abs/hostname", O_RDONLY))));
        Assert.Equal(ENOENT, e.Errno);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void DotDotCannotClimbAboveTheRoot(bool walk)
    {
        // ".." at the root is the root.
        Assert.Equal(Path.Combine(_root, "etc"), With(walk, r => RealOf(PathInRoot.Open(r, "/../../../etc", O_PATH))));
        Assert.Throws<SyscallException>(() => With(walk, r => RealOf(PathInRoot.Open(r, "/rel/hostname", O_RDONLY))));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void AbsoluteSymlinkResolvesAgainstTheRoot(bool walk)
    {
        // "etclink -> /etc" is the container's /etc.
        Assert.Equal(Path.Combine(_root, "etc", "hostname"), With(walk, r => RealOf(PathInRoot.Open(r, "/etclink/hostname", O_PATH))));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void MkdirAllCreatesInsideEvenThroughSymlinks(bool walk)
    {
        // A mount destination under an absolute symlink is created inside the root, and the host dir is untouched.
        var real = With(walk, r => RealOf(PathInRoot.MkdirAll(r, "/abs/sub/dir")));
        Assert.StartsWith(_root + "/", real);
        Assert.Empty(Directory.EnumerateDirectories(_outside));
    }

    [Fact]
    public void MkdirAllFollowsDanglingSymlinksInside()
    {
        // "dangling -> /made/by/mkdir": the walk creates the target inside the root (runc's MkdirAllInRoot).
        var real = With(true, r => RealOf(PathInRoot.MkdirAll(r, "/dangling/x")));
        Assert.Equal(Path.Combine(_root, "made", "by", "mkdir", "x"), real);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void CreateFileMakesAnEmptyFileInside(bool walk)
    {
        // A file bind's destination.
        var real = With(walk, r => RealOf(PathInRoot.CreateFile(r, "/etc/newfile")));
        Assert.Equal(Path.Combine(_root, "etc", "newfile"), real);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void SymlinkLoopsFail(bool walk)
    {
        // ELOOP rather than a hang.
        var e = Assert.Throws<SyscallException>(() => With(walk, r => RealOf(PathInRoot.Open(r, "/loop/x", O_PATH))));
        Assert.Equal(ELOOP, e.Errno);
    }

    [Fact]
    public void MagicLinksAreNotFollowedByOpenat2()
    {
        // RESOLVE_NO_MAGICLINKS: /proc/self/root inside a path must not jump to the host's root. (The walk resolves
        // it as a string inside the root, which lands on <root>/proc/self/root: absent here.)
        Directory.CreateDirectory(Path.Combine(_root, "proc"));
        Assert.Throws<SyscallException>(() => With(false, r => RealOf(PathInRoot.Open(r, "/magic/etc", O_PATH))));
        Assert.Throws<SyscallException>(() => With(true, r => RealOf(PathInRoot.Open(r, "/magic/etc", O_PATH))));
    }

    public void Dispose() => _dir.Dispose();
}
