using Berth.Engine.Containers;
using Berth.Oci.Errors;
using Berth.Testing;

namespace Berth.Engine.Tests;

/// <summary>Typed mounts through the engine: requests it must refuse before anything is created (with the kind a
/// front end maps to 125 or 400, and words that name no flag), and a bind and a volume really mounted.</summary>
[Collection("engine")]
public sealed class MountRequestTests(BusyboxTar image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, MountRequest, string> BadMounts() => new()
    {
        { "relative target", new MountRequest { Type = MountKind.Volume, Target = "data" }, "invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute" },
        { "no target", new MountRequest { Type = MountKind.Bind, Source = "/tmp", Target = "" }, "invalid mount config for type \"bind\": field Target must not be empty" },
        { "root target", new MountRequest { Type = MountKind.Tmpfs, Target = "/./" }, "invalid mount config for type \"tmpfs\": invalid specification: destination can't be '/'" },
        { "relative bind source", new MountRequest { Type = MountKind.Bind, Source = "rel/dir", Target = "/x" }, "invalid mount config for type \"bind\": invalid mount path: 'rel/dir' mount path must be absolute" },
        { "bind without source", new MountRequest { Type = MountKind.Bind, Target = "/x" }, "invalid mount config for type \"bind\": field Source must not be empty" },
        { "missing bind source", new MountRequest { Type = MountKind.Bind, Source = "/no/such/dir/anywhere", Target = "/x" }, "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir/anywhere" },
        { "bad propagation", new MountRequest { Type = MountKind.Bind, Source = "/tmp", Target = "/x", BindOptions = new BindMountOptions { Propagation = "sideways" } }, "invalid mount config for type \"bind\": invalid propagation mode: sideways" },
        { "tmpfs with source", new MountRequest { Type = MountKind.Tmpfs, Source = "/tmp", Target = "/x" }, "invalid mount config for type \"tmpfs\": field Source must not be specified" },
        { "options of another type", new MountRequest { Type = MountKind.Volume, Target = "/x", TmpfsOptions = new TmpfsMountOptions { SizeBytes = 1 } }, "invalid mount config for type \"volume\": field TmpfsOptions must not be specified" },
        { "bad volume name", new MountRequest { Type = MountKind.Volume, Source = "~/x", Target = "/x" }, "create ~/x: \"~/x\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path" },
    };

    [Theory]
    [MemberData(nameof(BadMounts))]
    public void BadMountsAreRefusedAsInvalidBeforeAnythingIsCreated(string what, MountRequest mount, string message)
    {
        using var e = new EngineUnderTest(image);
        var volumesBefore = e.Engine.Volumes.List().Count;
        // After a good volume and a -v bind whose host directory would be made: neither is made.
        var made = e.Dir.Combine("would-be-made");
        var error = Assert.Throws<BerthException>(() => e.Engine.Containers.Create(new ContainerRequest
        {
            Image = "busybox", Name = "m", Cmd = ["true"],
            Binds = [new MountRequest { Type = MountKind.Bind, Source = made, Target = "/made", BindOptions = new BindMountOptions { CreateMountpoint = true } }],
            Mounts = [new MountRequest { Type = MountKind.Volume, Source = "good", Target = "/good" }, mount],
        }, Ct));
        Assert.True(error.Kind == ErrorKind.InvalidArgument, $"{what}: {error.Kind}: {error.Message}");
        Assert.Equal(message, error.Message);
        Assert.DoesNotContain("--", error.Message);
        Assert.False(e.Engine.Containers.TryResolve("m", out _));
        Assert.Equal(volumesBefore, e.Engine.Volumes.List().Count);
        Assert.False(Directory.Exists("/no/such/dir/anywhere"));
        Assert.False(Directory.Exists(made));
    }

    [Fact]
    public void TwoMountsAtOneTargetAreRefused()
    {
        using var e = new EngineUnderTest(image);
        var error = Assert.Throws<BerthException>(() => e.Engine.Containers.Create(new ContainerRequest
        {
            Image = "busybox",
            Binds = [new MountRequest { Type = MountKind.Tmpfs, Target = "/x" }],
            Mounts = [new MountRequest { Type = MountKind.Tmpfs, Target = "/x/" }],
        }, Ct));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal("Duplicate mount point: /x/", error.Message);
    }

    [Fact]
    public void ABindAndANamedVolumeAreMountedWithTheirModes()
    {
        using var e = new EngineUnderTest(image);
        var host = e.Dir.Combine("host");
        Directory.CreateDirectory(host);
        File.WriteAllText(Path.Combine(host, "in"), "from host\n");
        var created = e.Dir.Combine("made-by-bind");
        var containers = e.Engine.Containers;
        var row = containers.Create(new ContainerRequest
        {
            Image = "busybox",
            Name = "mounts",
            Binds =
            [
                new MountRequest { Type = MountKind.Bind, Source = host, Target = "/host" },
                new MountRequest { Type = MountKind.Bind, Source = created, Target = "/made", ReadOnly = true, BindOptions = new BindMountOptions { CreateMountpoint = true } },
            ],
            Mounts = [new MountRequest { Type = MountKind.Volume, Source = "vol", Target = "/vol" }],
            Cmd = ["sh", "-c", "cat /host/in && echo ctr > /host/out && echo kept > /vol/f && touch /made/x 2>/dev/null; echo ro=$?"],
        }, Ct);
        Assert.True(Directory.Exists(created));
        containers.StartDetached(row, Ct);
        Assert.Equal(0, containers.Wait(containers.Resolve("mounts"), Ct));
        var logs = new List<LogEntry>();
        containers.Logs(containers.Resolve("mounts"), new LogOptions(), logs.Add, Ct);
        Assert.Equal("from host\nro=1\n", string.Concat(logs.Where(l => l.Stream == "stdout").Select(l => l.Log)));
        Assert.Equal("ctr\n", File.ReadAllText(Path.Combine(host, "out")));
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(e.Engine.Volumes.DataPathOf("vol"), "f")));

        var inspect = containers.Inspect(containers.Resolve("mounts"));
        Assert.Equal([$"{host}:/host", $"{created}:/made:ro"], inspect.HostConfig.Binds);
        Assert.Equal(["bind", "bind", "volume"], inspect.Mounts.Select(m => m.Type));
        Assert.Equal("vol", inspect.Mounts.Single(m => m.Type == "volume").Name);
    }
}
