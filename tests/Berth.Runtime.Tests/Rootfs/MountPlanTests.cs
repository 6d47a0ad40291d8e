using Berth.Oci.Errors;
using Berth.Runtime.Rootfs;
using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Tests.Rootfs;

public sealed class MountPlanTests
{
    private static MountPlan PlanFor(RunOptions? options = null, bool kcore = true) =>
        MountPlanner.Plan(TestHost.Generate(options), "/bundle/rootfs", kcore);

    [Fact]
    public void PlanStartsWithPropagationAndRootAndPivotsAfterMountsAndDevices()
    {
        // runc's order: nothing may propagate to the host, the rootfs must be a mount point before pivot_root,
        // and every mount is made inside the rootfs before the host disappears.
        var steps = PlanFor().Steps;
        Assert.Equal(new SetRootPropagation(MS_SLAVE | MS_REC), steps[0]);
        Assert.Equal(new PrepareRoot("/bundle/rootfs", null), steps[1]);
        var pivot = steps.ToList().FindIndex(s => s is PivotRoot);
        Assert.True(steps.Take(pivot).OfType<MountFilesystem>().Count() == 6);
        Assert.All(steps.Take(pivot).OfType<CreateDevice>(), d => Assert.StartsWith("/dev/", d.Path));
        Assert.All(steps.Skip(pivot + 1), s => Assert.True(s is MaskPath or ReadonlyPath or WriteSysctl or RemountRootReadonly, s.ToString()));
    }

    [Fact]
    public void DevGetsTheStandardNodesAndLinks()
    {
        // runtime-spec "Default Devices" and the /dev symlinks (security notes 1.6).
        var steps = PlanFor().Steps;
        var devices = steps.OfType<CreateDevice>().ToDictionary(d => d.Path, d => (d.Major, d.Minor, d.Mode));
        Assert.Equal((1L, 3L, 0x1B6u), devices["/dev/null"]);
        Assert.Equal((5L, 0L, 0x1B6u), devices["/dev/tty"]);
        Assert.Equal(["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"], devices.Keys);
        var links = steps.OfType<CreateSymlink>().ToDictionary(l => l.Path, l => l.Target);
        Assert.Equal("pts/ptmx", links["/dev/ptmx"]);
        Assert.Equal("/proc/self/fd", links["/dev/fd"]);
        Assert.Equal("/proc/kcore", links["/dev/core"]);
        Assert.DoesNotContain(PlanFor(kcore: false).Steps, s => s is CreateSymlink { Path: "/dev/core" });
    }

    [Fact]
    public void MasksComeAfterReadonlyPathsAndReadOnlyRootIsLast()
    {
        // Masks and read-only paths need the container's /proc, so they follow pivot_root; the root goes read-only
        // last so the steps before it can still create mount points.
        var steps = PlanFor(new RunOptions { ReadOnlyRootfs = true }).Steps;
        Assert.IsType<RemountRootReadonly>(steps[^1]);
        var firstMask = steps.ToList().FindIndex(s => s is MaskPath);
        var lastReadonly = steps.ToList().FindLastIndex(s => s is ReadonlyPath);
        Assert.True(lastReadonly < firstMask);
        Assert.Contains(new MaskPath("/proc/kcore"), steps);
        Assert.Contains(new ReadonlyPath("/proc/sys"), steps);
    }

    [Fact]
    public void CgroupMountIsItsOwnStep()
    {
        // /sys/fs/cgroup is assembled from the host's hierarchies as seen from the container's cgroup namespace.
        var cg = Assert.Single(PlanFor().Steps.OfType<MountCgroups>());
        Assert.Equal("/sys/fs/cgroup", cg.Destination);
        Assert.True(cg.Options.IsReadOnly);
    }

    [Fact]
    public void BindOptionsAreParsed()
    {
        // -v /srv:/data:ro becomes an rbind with a read-only remount and rprivate propagation.
        var m = PlanFor(new RunOptions { Binds = [new BindMount { Source = "/srv", Destination = "/data", ReadOnly = true }] })
            .Steps.OfType<MountFilesystem>().Single(s => s.Destination == "/data");
        Assert.Equal("bind", m.Type);
        Assert.True(m.Options.IsBind && m.Options.IsRecursive && m.Options.IsReadOnly);
        Assert.Equal(MS_PRIVATE | MS_REC, m.Options.Propagation);
    }

    [Fact]
    public void TerminalAddsConsoleSetupBeforePivot()
    {
        // The pty is allocated from the container's devpts, before the host's filesystem is gone.
        var steps = PlanFor(new RunOptions { Terminal = true }).Steps.ToList();
        Assert.True(steps.FindIndex(s => s is SetupConsole) < steps.FindIndex(s => s is PivotRoot));
    }

    [Fact]
    public void RootMountReplacesTheSelfBind()
    {
        // The engine's overlay becomes the root mount.
        var overlay = new Mount { Destination = "/", Type = "overlay", Source = "overlay", Options = ["lowerdir=/l"] };
        var steps = PlanFor(new RunOptions { RootMount = overlay }).Steps;
        Assert.Equal(new PrepareRoot("/bundle/rootfs", overlay), steps[1]);
        Assert.DoesNotContain(steps.OfType<MountFilesystem>(), m => m.Destination == "/");
    }

    [Theory]
    [InlineData("/proc2", "proc")]
    [InlineData("/proc", "tmpfs")]
    public void ProcOnlyAtProcAndOnlyProcThere(string destination, string type)
    {
        // CVE-2019-16884/CVE-2019-19921: a mount over /proc (or procfs elsewhere) is refused outright.
        var spec = TestHost.Generate() with
        {
            Mounts = [new Mount { Destination = destination, Type = type, Source = type }],
        };
        Assert.Throws<BerthException>(() => MountPlanner.Plan(spec, "/r"));
    }

    [Fact]
    public void PrivilegedHasNoMasks()
    {
        // --privileged: neither list (moby).
        Assert.DoesNotContain(PlanFor(new RunOptions { Privileged = true }).Steps, s => s is MaskPath or ReadonlyPath);
    }
}

public sealed class MountOptionsTests
{
    [Fact]
    public void FlagsPropagationAndDataAreSeparated()
    {
        // mount(8) semantics: later options win; unknown ones are filesystem data.
        var o = MountOptions.Parse(["nosuid", "ro", "rw", "noexec", "rslave", "mode=755", "size=1k", "rbind"]);
        Assert.Equal(MS_NOSUID | MS_NOEXEC | MS_BIND | MS_REC, o.Flags);
        Assert.Equal(MS_SLAVE | MS_REC, o.Propagation);
        Assert.Equal("mode=755,size=1k", o.Data);
        Assert.False(o.IsReadOnly);
    }
}
