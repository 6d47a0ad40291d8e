using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;

namespace Berth.Runtime.Tests.Spec;

public sealed class SpecGeneratorTests
{
    [Fact]
    public void DefaultSpecHasDockersNamespaces()
    {
        // A container must be isolated exactly as `docker run` isolates it: these six namespaces, no user namespace.
        var spec = TestHost.Generate();
        Assert.Equal(["pid", "ipc", "uts", "mount", "network", "cgroup"], spec.Linux!.Namespaces!.Select(n => n.Type));
        Assert.All(spec.Linux.Namespaces!, n => Assert.Null(n.Path));
    }

    [Fact]
    public void HostNetworkDropsTheNetworkNamespace()
    {
        // --network host shares the host's stack: no network namespace may be created.
        var spec = TestHost.Generate(new RunOptions { Network = NetworkMode.Host });
        Assert.DoesNotContain(spec.Linux!.Namespaces!, n => n.Type == "network");
    }

    [Fact]
    public void DefaultMountsMatchDockersTable()
    {
        // The pseudo-filesystems and their flags are part of the isolation contract (security notes 1.7).
        var spec = TestHost.Generate();
        var mounts = spec.Mounts!.ToDictionary(m => m.Destination);
        Assert.Equal(["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"], spec.Mounts!.Select(m => m.Destination));
        Assert.Equal(["nosuid", "noexec", "nodev"], mounts["/proc"].Options);
        Assert.Equal(["nosuid", "strictatime", "mode=755", "size=65536k"], mounts["/dev"].Options);
        Assert.Contains("newinstance", mounts["/dev/pts"].Options!);
        Assert.Contains("ptmxmode=0666", mounts["/dev/pts"].Options!);
        Assert.Contains("ro", mounts["/sys"].Options!);
        Assert.Contains("ro", mounts["/sys/fs/cgroup"].Options!);
        Assert.Contains("mode=1777", mounts["/dev/shm"].Options!);
        Assert.Contains("size=67108864", mounts["/dev/shm"].Options!);
    }

    [Fact]
    public void DefaultCapabilitiesAreDockersFourteenInBoundingPermittedAndEffectiveOnly()
    {
        // CapEff 00000000a80425fb, and inheritable/ambient empty (CVE-2022-24769).
        var caps = TestHost.Generate().Process!.Capabilities!;
        Assert.Equal(0xa80425fbUL, Capabilities.Mask(caps.Bounding));
        Assert.Equal(0xa80425fbUL, Capabilities.Mask(caps.Effective));
        Assert.Equal(0xa80425fbUL, Capabilities.Mask(caps.Permitted));
        Assert.Null(caps.Inheritable);
        Assert.Null(caps.Ambient);
    }

    [Fact]
    public void CapAddAndDropAdjustTheDefaultSet()
    {
        // --cap-add/--cap-drop accept Docker's spellings (with or without CAP_, any case).
        var caps = TestHost.Generate(new RunOptions { CapAdd = ["sys_admin"], CapDrop = ["CAP_NET_RAW", "chown"] }).Process!.Capabilities!;
        Assert.Contains("CAP_SYS_ADMIN", caps.Bounding!);
        Assert.DoesNotContain("CAP_NET_RAW", caps.Bounding!);
        Assert.DoesNotContain("CAP_CHOWN", caps.Effective!);
    }

    [Fact]
    public void DropAllLeavesNoCapabilities()
    {
        // --cap-drop ALL is the usual hardening and must leave nothing.
        var caps = TestHost.Generate(new RunOptions { CapDrop = ["ALL"], CapAdd = ["NET_BIND_SERVICE"] }).Process!.Capabilities!;
        Assert.Equal(["CAP_NET_BIND_SERVICE"], caps.Bounding);
    }

    [Fact]
    public void UnknownCapabilityIsRejected()
    {
        // A typo must not silently produce a weaker or stronger container than asked.
        var e = Assert.Throws<BerthException>(() => TestHost.Generate(new RunOptions { CapAdd = ["NOT_A_CAP"] }));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void PrivilegedGetsAllCapabilitiesNoSeccompNoMasks()
    {
        // --privileged turns every default protection off, as Docker does.
        var spec = TestHost.Generate(new RunOptions { Privileged = true });
        Assert.Equal(Capabilities.All.Count, spec.Process!.Capabilities!.Bounding!.Count);
        Assert.Null(spec.Linux!.Seccomp);
        Assert.Null(spec.Linux.MaskedPaths);
        Assert.Null(spec.Linux.ReadonlyPaths);
        Assert.Contains("rw", spec.Mounts!.Single(m => m.Destination == "/sys").Options!);
    }

    [Fact]
    public void MaskedAndReadonlyPathsAreDockersListsPlusThermalThrottle()
    {
        // Host information leaks through these paths (GHSA-jq35-85cj-fj4p, GHSA-6fw5-f8r9-fgfm).
        var linux = TestHost.Generate().Linux!;
        Assert.Equal([.. DockerDefaults.MaskedPaths, "/sys/devices/system/cpu/cpu0/thermal_throttle"], linux.MaskedPaths);
        Assert.Contains("/proc/kcore", linux.MaskedPaths!);
        Assert.Contains("/sys/devices/virtual/powercap", linux.MaskedPaths!);
        Assert.Equal(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"], linux.ReadonlyPaths);
    }

    [Fact]
    public void SeccompIsDockersDefaultResolvedForTheContainersCapabilities()
    {
        // Without CAP_SYS_ADMIN, mount/unshare/setns are not allowed, clone is allowed only without namespace flags,
        // and clone3 answers ENOSYS so libc falls back to clone.
        var seccomp = TestHost.Generate().Linux!.Seccomp!;
        Assert.Equal("SCMP_ACT_ERRNO", seccomp.DefaultAction);
        Assert.Equal(1u, seccomp.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], seccomp.Architectures);
        var allowed = seccomp.Syscalls!.Where(s => s.Action == "SCMP_ACT_ALLOW" && s.Args is null).SelectMany(s => s.Names).ToHashSet();
        Assert.Contains("read", allowed);
        Assert.Contains("ptrace", allowed); // minKernel 4.8
        foreach (var denied in new[] { "mount", "umount2", "unshare", "setns", "keyctl", "add_key", "pivot_root", "bpf", "reboot", "init_module" })
            Assert.DoesNotContain(denied, allowed);
        var clone = seccomp.Syscalls!.Single(s => s.Names.Contains("clone"));
        Assert.Equal("SCMP_CMP_MASKED_EQ", clone.Args!.Single().Op);
        Assert.Equal(0x7E020000UL, clone.Args!.Single().Value);
        var clone3 = seccomp.Syscalls!.Single(s => s.Names.Contains("clone3"));
        Assert.Equal(("SCMP_ACT_ERRNO", 38u), (clone3.Action, clone3.ErrnoRet!.Value));
    }

    [Fact]
    public void SysAdminCapabilityUnlocksItsSyscalls()
    {
        // Docker's profile is conditional on capabilities: --cap-add SYS_ADMIN allows mount and unshare.
        var seccomp = TestHost.Generate(new RunOptions { CapAdd = ["SYS_ADMIN"] }).Linux!.Seccomp!;
        var allowed = seccomp.Syscalls!.Where(s => s.Action == "SCMP_ACT_ALLOW" && s.Args is null).SelectMany(s => s.Names).ToHashSet();
        Assert.Contains("mount", allowed);
        Assert.Contains("unshare", allowed);
        Assert.DoesNotContain(seccomp.Syscalls!, s => s.Names.Contains("clone3") && s.Action == "SCMP_ACT_ERRNO");
    }

    [Fact]
    public void UnconfinedSeccompLeavesNoFilter()
    {
        // --security-opt seccomp=unconfined.
        Assert.Null(TestHost.Generate(new RunOptions { SeccompProfile = "unconfined" }).Linux!.Seccomp);
    }

    [Theory]
    [InlineData(new[] { "/ep" }, new[] { "c1" }, null, null, new[] { "/ep", "c1" })]
    [InlineData(new[] { "/ep" }, new[] { "c1" }, new[] { "x" }, null, new[] { "/ep", "x" })]
    [InlineData(new[] { "/ep" }, new[] { "c1" }, null, new[] { "/new" }, new[] { "/new" })]
    [InlineData(new[] { "/ep" }, new[] { "c1" }, new[] { "x" }, new[] { "/new" }, new[] { "/new", "x" })]
    [InlineData(null, new[] { "c1", "a" }, null, null, new[] { "c1", "a" })]
    public void ArgsCombineEntrypointAndCmdAsDockerRun(string[]? imageEp, string[]? imageCmd, string[]? cmd, string[]? ep, string[] expected)
    {
        // docker run IMAGE [cmd] and --entrypoint: a new entrypoint drops the image's Cmd.
        var spec = SpecGenerator.Generate("c1", new ContainerConfig { Entrypoint = imageEp, Cmd = imageCmd },
            new RunOptions { Command = cmd, Entrypoint = ep }, TestHost.Amd64);
        Assert.Equal(expected, spec.Process!.Args);
    }

    [Fact]
    public void NoCommandIsAnError()
    {
        // An image without Cmd or Entrypoint and no command given: docker says "no command specified".
        var e = Assert.Throws<BerthException>(() => SpecGenerator.Generate("c1", new ContainerConfig(), new RunOptions(), TestHost.Amd64));
        Assert.Contains("no command specified", e.Message);
    }

    [Fact]
    public void EnvironmentLayersDefaultsImageAndOptions()
    {
        // PATH and HOSTNAME default, the image's Env overrides them, -e overrides the image; HOME comes from passwd.
        var users = new UserDatabase { Passwd = "root:x:0:0:root:/root:/bin/sh\n" };
        var spec = TestHost.Generate(new RunOptions { Env = ["A=2", "B=3"] }, new ContainerConfig { Cmd = ["sh"], Env = ["A=1", "PATH=/img"] }, users);
        Assert.Equal(["PATH=/img", "HOSTNAME=0123456789ab", "A=2", "B=3", "HOME=/root"], spec.Process!.Env);
    }

    [Fact]
    public void TerminalAddsTermXterm()
    {
        // -t gives TERM=xterm unless the image or -e set one.
        Assert.Contains("TERM=xterm", TestHost.Generate(new RunOptions { Terminal = true }).Process!.Env!);
        Assert.True(TestHost.Generate(new RunOptions { Terminal = true }).Process!.Terminal);
    }

    [Fact]
    public void HostnameDefaultsToTheShortId()
    {
        // Docker's hostname is the first 12 characters of the container ID.
        Assert.Equal("0123456789ab", TestHost.Generate().Hostname);
        Assert.Equal("web", TestHost.Generate(new RunOptions { Hostname = "web" }).Hostname);
    }

    [Fact]
    public void ResourcesBecomeCgroupLimits()
    {
        // --memory 64m gives memory+swap 128m (Docker), --cpus 0.5 a 50ms quota per 100ms, --pids-limit 64.
        var r = TestHost.Generate(new RunOptions { Memory = 64 << 20, Cpus = 0.5m, CpuShares = 512, PidsLimit = 64 }).Linux!.Resources!;
        Assert.Equal(64L << 20, r.Memory!.Limit);
        Assert.Equal(128L << 20, r.Memory.Swap);
        Assert.Equal(50_000L, r.Cpu!.Quota);
        Assert.Equal(100_000UL, r.Cpu.Period);
        Assert.Equal(512UL, r.Cpu.Shares);
        Assert.Equal(64, r.Pids!.Limit);
    }

    [Fact]
    public void MemorySwapBelowMemoryIsRejected()
    {
        // Docker's own validation, with its wording.
        var e = Assert.Throws<BerthException>(() => TestHost.Generate(new RunOptions { Memory = 64 << 20, MemorySwap = 32 << 20 }));
        Assert.Contains("memoryswap", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DefaultRlimitIsAnExplicitNofile()
    {
        // Never infinity: programs loop to the fd limit (security notes 1.9).
        var r = Assert.Single(TestHost.Generate().Process!.Rlimits!);
        Assert.Equal(("RLIMIT_NOFILE", 1024UL, 1024UL), (r.Type, r.Soft, r.Hard));
    }

    [Fact]
    public void BindsAndTmpfsFollowTheDefaultsAndReplaceTheirDestination()
    {
        // A user mount at a default destination replaces the default; parents mount before children.
        var spec = TestHost.Generate(new RunOptions
        {
            Binds = [new BindMount { Source = "/srv/data", Destination = "/data/sub" }, new BindMount { Source = "/srv", Destination = "/data", ReadOnly = true }],
            Tmpfs = new Dictionary<string, string> { ["/dev/shm"] = "size=1m" },
        });
        var dests = spec.Mounts!.Select(m => m.Destination).ToList();
        Assert.Single(dests, d => d == "/dev/shm");
        Assert.True(dests.IndexOf("/data") < dests.IndexOf("/data/sub"));
        var data = spec.Mounts!.Single(m => m.Destination == "/data");
        Assert.Equal(["rbind", "ro", "rprivate"], data.Options);
        Assert.Contains("size=1m", spec.Mounts!.Single(m => m.Destination == "/dev/shm").Options!);
    }

    [Theory]
    [InlineData("relative")]
    [InlineData("/")]
    public void BadMountDestinationsAreRejected(string destination)
    {
        // Docker refuses relative destinations and a mount over the root.
        Assert.Throws<BerthException>(() => TestHost.Generate(new RunOptions { Binds = [new BindMount { Source = "/x", Destination = destination }] }));
    }

    [Fact]
    public void ReadOnlyRootfsAndNoNewPrivileges()
    {
        // --read-only and --security-opt no-new-privileges are single spec fields.
        var spec = TestHost.Generate(new RunOptions { ReadOnlyRootfs = true, NoNewPrivileges = true });
        Assert.True(spec.Root!.Readonly);
        Assert.True(spec.Process!.NoNewPrivileges);
    }

    [Fact]
    public void RootMountGoesFirst()
    {
        // The engine passes the image's overlay as the root mount; it is mounted before everything else.
        var overlay = new Mount { Destination = "/", Type = "overlay", Source = "overlay", Options = ["lowerdir=/l", "upperdir=/u", "workdir=/w"] };
        Assert.Equal("/", TestHost.Generate(new RunOptions { RootMount = overlay }).Mounts![0].Destination);
    }

    [Fact]
    public void CgroupsPathIsParentAndId()
    {
        // Docker's cgroupfs layout: /docker/<id>; berth's: /berth/<id>.
        Assert.Equal("/berth/0123456789abcdef", TestHost.Generate().Linux!.CgroupsPath);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("-x")]
    public void InvalidContainerIdsAreRejected(string id)
    {
        // IDs name directories and cgroups (P5).
        Assert.Throws<BerthException>(() => SpecGenerator.Generate(id, new ContainerConfig { Cmd = ["sh"] }, new RunOptions(), TestHost.Amd64));
    }
}

public sealed class RuntimeJsonWriterTests
{
    [Fact]
    public void TheFastPathWritesWhatTheMetadataSerializerWrites()
    {
        // config.json and the state are written by the generator's fast path and read back with metadata: the two
        // must agree byte for byte, privileged and resource-limited specs included.
        foreach (var options in new[]
        {
            new RunOptions(),
            new RunOptions { Privileged = true, Memory = 64 << 20, PidsLimit = 64, Cpus = 0.5m, Terminal = true, Hostname = "h" },
        })
        {
            var spec = SpecGenerator.Generate("c", new Oci.ContainerConfig { Cmd = ["sh"], Env = ["A=1"] }, options, SpecHost.Detect());
            var fast = RuntimeJson.Serialize(spec);
            var slow = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeJsonContext.Default.RuntimeSpec);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(slow), System.Text.Encoding.UTF8.GetString(fast));
            Assert.Equal(spec with { }, RuntimeJson.ParseSpec(fast, "config.json") with { }, SpecComparer.Instance);
        }
    }

    private sealed class SpecComparer : IEqualityComparer<RuntimeSpec>
    {
        public static readonly SpecComparer Instance = new();
        public bool Equals(RuntimeSpec? a, RuntimeSpec? b) =>
            System.Text.Json.JsonSerializer.Serialize(a, RuntimeJsonContext.Default.RuntimeSpec) == System.Text.Json.JsonSerializer.Serialize(b, RuntimeJsonContext.Default.RuntimeSpec);
        public int GetHashCode(RuntimeSpec s) => 0;
    }
}
