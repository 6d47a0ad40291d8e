using Berth.Engine.Tests.Suite;
using Berth.Oci.Errors;
using Berth.Testing;

namespace Berth.Engine.Tests;

/// <summary>The shared engine suite: images, containers, volumes, builds and the event log, asserted on behaviour,
/// each test run twice, against the engine in this process (what the CLI drives) and against the Docker Engine API
/// of <c>berth daemon</c> (what docker, compose and the SDKs drive). A difference between the two is a bug in one
/// front end.</summary>
[Collection("engine")]
public sealed class EngineServiceTests(BusyboxTar image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Backends => EngineBackend.All;

    private static Dictionary<string, IReadOnlyList<string>> Filter(string key, string value) => new() { [key] = [value] };

    [Theory, MemberData(nameof(Backends))]
    public async Task ImagesAreTaggedListedFilteredAndRemoved(string backend)
    {
        // Tags are names of one image: listing shows each, removing a name only untags until the last one goes.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        await c.TagImageAsync("busybox", "example.com/team/app:1", Ct);
        var entries = await c.ListImagesAsync(null, Ct);
        Assert.Equal(["busybox:latest", "example.com/team/app:1"], entries.Select(x => x.Tag!).Order(StringComparer.Ordinal));
        Assert.All(entries, x => Assert.Equal(e.BusyboxId, x.Id));
        var filtered = await c.ListImagesAsync(Filter("reference", "example.com/*/*"), Ct);
        Assert.Equal("example.com/team/app:1", Assert.Single(filtered).Tag);
        var bad = await Assert.ThrowsAsync<BerthException>(() => c.ListImagesAsync(Filter("size", "1"), Ct));
        Assert.Equal(ErrorKind.InvalidArgument, bad.Kind);

        // Removing by one of two names only untags; by the last name deletes.
        var first = await c.RemoveImageAsync("example.com/team/app:1", Ct);
        Assert.Equal(["example.com/team/app:1"], first.Untagged);
        Assert.Empty(first.Deleted);
        var second = await c.RemoveImageAsync("busybox", Ct);
        // The image, then its one layer, as docker's rmi lists them.
        Assert.Equal(2, second.Deleted.Count);
        Assert.Equal(e.BusyboxId, second.Deleted[0]);
        Assert.NotEqual(e.BusyboxId, second.Deleted[1]);
        Assert.Empty(await c.ListImagesAsync(null, Ct));
        Assert.Equal(ErrorKind.NotFound, (await Assert.ThrowsAsync<BerthException>(() => c.InspectImageAsync("busybox", Ct))).Kind);
        Assert.True(e.StoreIsClean(Ct));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task AContainerRunsDetachedLogsWaitsAndIsRemovedWithoutTrace(string backend)
    {
        // The life of a detached container: its exit code, its two streams kept apart, and nothing left once removed.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        var created = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Name = "worker", Cmd = ["sh", "-c", "echo out; echo err >&2; exit 4"] }, Ct);
        Assert.Equal("created", created.Status);
        Assert.Equal("worker", created.Name);
        Assert.Equal(ErrorKind.Conflict, (await Assert.ThrowsAsync<BerthException>(() => c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Name = "worker" }, Ct))).Kind);

        await c.StartContainerAsync(created.Id, Ct);
        Assert.Equal(4, await c.WaitContainerAsync("worker", Ct));
        var logs = await c.LogsAsync("worker", Ct);
        Assert.Equal([("stderr", "err\n"), ("stdout", "out\n")], logs.Select(l => (l.Stream, l.Text)).Order());
        var exited = await c.InspectContainerAsync("worker", Ct);
        Assert.Equal(created.Id, exited.Id);
        Assert.Equal("exited", exited.Status);
        Assert.Equal(4, exited.ExitCode);
        Assert.Equal([exited.Id], await c.ListContainersAsync(all: true, Filter("exited", "4"), Ct));
        Assert.Empty(await c.ListContainersAsync(all: false, null, Ct));

        await c.RemoveContainerAsync("worker", force: false, removeVolumes: true, Ct);
        Assert.Equal(ErrorKind.NotFound, (await Assert.ThrowsAsync<BerthException>(() => c.InspectContainerAsync("worker", Ct))).Kind);
        Assert.False(Directory.Exists(e.ContainerDirOf(exited.Id)));
        Assert.Empty(e.LeftoverCgroups());
        Assert.False(File.Exists(e.AttachSocketOf(exited.Id)));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task TopListsTheContainersProcessesOnly(string backend)
    {
        // top shows the container's own processes, with the host PIDs the engine records, in the columns asked for.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        var row = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Cmd = ["sleep", "60"] }, Ct);
        await c.StartContainerAsync(row.Id, Ct);
        var top = await c.TopAsync(row.Id, ["-o", "pid,comm"], Ct);
        Assert.Equal(["PID", "COMMAND"], top.Titles);
        var process = Assert.Single(top.Processes);
        Assert.Equal("sleep", process[1]);
        var running = await c.InspectContainerAsync(row.Id, Ct);
        Assert.Equal("running", running.Status);
        Assert.Equal(running.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), process[0]);
        Assert.Equal(ErrorKind.InvalidArgument, (await Assert.ThrowsAsync<BerthException>(() => c.TopAsync(row.Id, ["-o", "comm"], Ct))).Kind);
        await c.RemoveContainerAsync(row.Id, force: true, removeVolumes: true, Ct);
        Assert.Empty(e.LeftoverCgroups());
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task VolumesInUseAreKeptAndFreeOnesRemoved(string backend)
    {
        // A volume a container uses cannot be removed from under it; once the container is gone, it can.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        Assert.True(await c.EnsureVolumeAsync("data", Ct));
        Assert.False(await c.EnsureVolumeAsync("data", Ct));
        Assert.Equal(["data"], await c.ListVolumesAsync(Ct));
        var row = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Volumes = [("data", "/data")], Cmd = ["true"] }, Ct);
        Assert.Equal(ErrorKind.Conflict, (await Assert.ThrowsAsync<BerthException>(() => c.RemoveVolumeAsync("data", force: false, Ct))).Kind);
        await c.RemoveContainerAsync(row.Id, force: false, removeVolumes: false, Ct);
        Assert.Equal(["data"], await c.ListVolumesAsync(Ct));
        await c.RemoveVolumeAsync("data", force: false, Ct);
        Assert.Empty(await c.ListVolumesAsync(Ct));
        Assert.Equal(ErrorKind.NotFound, (await Assert.ThrowsAsync<BerthException>(() => c.RemoveVolumeAsync("data", force: false, Ct))).Kind);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task ABuildRunsItsStepsInContainersAndReusesItsCache(string backend)
    {
        // A rebuild of an unchanged context reuses every step and gives the same image; RUN steps leave no cgroup.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        var context = e.Dir.Sub("ctx");
        File.WriteAllText(Path.Combine(context, "greeting"), "hello");
        const string dockerfile = "FROM busybox\nCOPY greeting /g\nRUN cat /g > /copied && echo ran\n";
        var first = await c.BuildAsync(context, dockerfile, ["built:1"], Ct);
        Assert.Equal(2, first.Steps);
        Assert.Equal(0, first.CachedSteps);
        var again = await c.BuildAsync(context, dockerfile, ["built:1"], Ct);
        Assert.Equal(first.ImageId, again.ImageId);
        Assert.Equal(again.Steps, again.CachedSteps);
        Assert.Equal(first.ImageId, await c.InspectImageAsync("built:1", Ct));

        var row = await c.CreateContainerAsync(new ContainerSpec { Image = "built:1", Cmd = ["cat", "/copied"] }, Ct);
        await c.StartContainerAsync(row.Id, Ct);
        Assert.Equal(0, await c.WaitContainerAsync(row.Id, Ct));
        Assert.Equal("hello", string.Concat((await c.LogsAsync(row.Id, Ct)).Select(l => l.Text)));
        Assert.DoesNotContain(e.LeftoverCgroups(), g => !g.EndsWith(row.Id, StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task RefusalsHaveTheSameKindOnBothFrontEnds(string backend)
    {
        // Clients branch on the kind of a refusal (docker's exit codes, the SDKs' NotFound and Conflict exceptions):
        // the API must answer each with the status of the engine's kind, and change nothing.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        async Task<ErrorKind> KindOf(Func<Task> act) => (await Assert.ThrowsAsync<BerthException>(act)).Kind;
        Assert.Equal(ErrorKind.NotFound, await KindOf(() => c.StartContainerAsync("missing", Ct)));
        Assert.Equal(ErrorKind.NotFound, await KindOf(() => c.RemoveContainerAsync("missing", force: true, removeVolumes: false, Ct)));
        Assert.Equal(ErrorKind.NotFound, await KindOf(() => c.RemoveImageAsync("missing:1", Ct)));
        Assert.Equal(ErrorKind.NotFound, await KindOf(() => c.TagImageAsync("missing:1", "other:1", Ct)));
        Assert.Equal(ErrorKind.InvalidArgument, await KindOf(() => c.TagImageAsync("busybox", "Upper/Case:1", Ct)));
        Assert.Equal(ErrorKind.InvalidArgument, await KindOf(() => c.ListContainersAsync(all: true, Filter("colour", "red"), Ct)));

        var row = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Name = "busy", Cmd = ["sleep", "60"] }, Ct);
        Assert.Equal(ErrorKind.Conflict, await KindOf(() => c.TopAsync("busy", [], Ct)));
        await c.StartContainerAsync(row.Id, Ct);
        Assert.Equal(ErrorKind.Conflict, await KindOf(() => c.RemoveContainerAsync("busy", force: false, removeVolumes: false, Ct)));
        Assert.Equal(ErrorKind.Conflict, await KindOf(() => c.RemoveImageAsync("busybox", Ct)));
        Assert.Equal(ErrorKind.Conflict, await KindOf(() => c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Name = "busy" }, Ct)));

        // Nothing changed: the container still runs under its name, the image keeps its tag.
        Assert.Equal(("busy", "running"), (await c.InspectContainerAsync(row.Id, Ct)) is var state ? (state.Name, state.Status) : default);
        Assert.Equal([row.Id], await c.ListContainersAsync(all: true, null, Ct));
        Assert.Equal(["busybox:latest"], (await c.ListImagesAsync(null, Ct)).Select(i => i.Tag));
        await c.RemoveContainerAsync("busy", force: true, removeVolumes: true, Ct);
        Assert.Empty(e.LeftoverCgroups());
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task EveryChangeIsAnEventInOrder(string backend)
    {
        // Clients follow state through events (docker events, compose, wait): each change is one, in order, with
        // the container's ID and attributes, and a since time leaves out what came before it.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        var since = DateTimeOffset.UtcNow;
        var row = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Name = "evented", Cmd = ["true"] }, Ct);
        await c.StartContainerAsync(row.Id, Ct);
        await c.WaitContainerAsync(row.Id, Ct);
        await c.RemoveContainerAsync(row.Id, force: false, removeVolumes: true, Ct);
        await c.TagImageAsync("busybox", "again:1", Ct);

        // The container is on the installation's default network, none: dockerd connects it to that network at the
        // start and disconnects it after the die.
        var seen = await c.EventsAsync(since, Ct);
        Assert.Equal(["container create", "network connect", "container start", "container die", "network disconnect", "container destroy", "image tag"],
            seen.Select(x => $"{x.Type} {x.Action}"));
        var containerEvents = seen.Where(x => x.Type == "container").ToList();
        Assert.All(containerEvents, x => Assert.Equal(row.Id, x.ActorId));
        Assert.All(containerEvents, x => Assert.Equal(("evented", "busybox"), (x.Attributes["name"], x.Attributes["image"])));
        Assert.Equal("0", seen[3].Attributes["exitCode"]);
        Assert.Equal("again:1", seen[6].Attributes["name"]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.TimeNano <= p.Second.TimeNano));

        // The next tick (100 ns) after the start: the start and what came before it are left out.
        var afterStart = DateTimeOffset.UnixEpoch.AddTicks(seen[2].TimeNano / 100 + 1);
        Assert.Equal(["container die", "network disconnect", "container destroy", "image tag"], (await c.EventsAsync(afterStart, Ct)).Select(x => $"{x.Type} {x.Action}"));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task ARunsNetworkAndVolumesAreEventsAroundItsStartAndDie(string backend)
    {
        // docker events (and compose, and monitoring tools) see a run's network and volumes come and go as dockerd
        // logs them: the volumes a create makes or names, at the start each network connected and each volume
        // mounted before the container's start, after its die each network disconnected and each volume unmounted,
        // and rm -v destroying its anonymous volume before the container's destroy. Binds have no event.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        Assert.True(await c.EnsureVolumeAsync("kept", Ct));
        var since = DateTimeOffset.UtcNow;
        // A create of an existing volume is an event too, as dockerd's.
        Assert.False(await c.EnsureVolumeAsync("kept", Ct));
        var row = await c.CreateContainerAsync(new ContainerSpec
        {
            Image = "busybox", Name = "mounted", Cmd = ["true"], Network = "none",
            Binds = ["kept:/kept:ro", "fresh:/fresh", "/anon", $"{e.Dir.Sub("host")}:/host"],
        }, Ct);
        await c.StartContainerAsync(row.Id, Ct);
        Assert.Equal(0, await c.WaitContainerAsync(row.Id, Ct));
        await c.RemoveContainerAsync(row.Id, force: false, removeVolumes: true, Ct);

        var seen = await c.EventsAsync(since, Ct);
        var anon = seen.Where(x => x.Type == "volume").Select(x => x.ActorId).Distinct().Single(v => v is not ("kept" or "fresh"));
        Assert.Matches("^[0-9a-f]{64}$", anon);
        Assert.Equal(
        [
            "volume create kept", "volume create kept", "volume create fresh", $"volume create {anon}", $"container create {row.Id}",
            $"network connect {NoneId}", "volume mount kept", "volume mount fresh", $"volume mount {anon}", $"container start {row.Id}",
            $"container die {row.Id}", $"network disconnect {NoneId}", "volume unmount kept", "volume unmount fresh", $"volume unmount {anon}",
            $"volume destroy {anon}", $"container destroy {row.Id}",
        ], seen.Select(x => $"{x.Type} {x.Action} {x.ActorId}"));
        Assert.All(seen.Where(x => x.Type == "network"), x => Assert.Equal(Attributes(("container", row.Id), ("name", "none"), ("type", "null")), x.Attributes));
        Assert.Equal(Attributes(("container", row.Id), ("destination", "/kept"), ("driver", "local"), ("propagation", ""), ("read/write", "false")),
            seen.Single(x => x.Action == "mount" && x.ActorId == "kept").Attributes);
        Assert.Equal(Attributes(("container", row.Id), ("destination", "/anon"), ("driver", "local"), ("propagation", ""), ("read/write", "true")),
            seen.Single(x => x.Action == "mount" && x.ActorId == anon).Attributes);
        Assert.All(seen.Where(x => x.Action == "unmount"), x => Assert.Equal(Attributes(("container", row.Id), ("driver", "local")), x.Attributes));
        Assert.All(seen.Where(x => x.Action is "create" or "destroy" && x.Type == "volume"), x => Assert.Equal(Attributes(("driver", "local")), x.Attributes));
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.TimeNano <= p.Second.TimeNano));
        // The named volumes stay; the anonymous one went with the container.
        Assert.Equal(["fresh", "kept"], (await c.ListVolumesAsync(Ct)).Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task HostAndNoneAreNetworksOfTheLogAndASharedNamespaceIsNone(string backend)
    {
        // dockerd's host and none are networks with IDs, connected and disconnected as any other; a container that
        // joins another's namespace (--network container:X) is on no network of its own and logs none. A start that
        // fails (no such command) logs the connect and the mount, then their release, and neither start nor die.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        var since = DateTimeOffset.UtcNow;
        var host = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Cmd = ["true"], Network = "host" }, Ct);
        await c.StartContainerAsync(host.Id, Ct);
        Assert.Equal(0, await c.WaitContainerAsync(host.Id, Ct));
        var owner = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Name = "owner", Cmd = ["sleep", "60"], Network = "none" }, Ct);
        await c.StartContainerAsync(owner.Id, Ct);
        var joiner = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Cmd = ["true"], Network = "container:owner" }, Ct);
        await c.StartContainerAsync(joiner.Id, Ct);
        Assert.Equal(0, await c.WaitContainerAsync(joiner.Id, Ct));
        var failing = await c.CreateContainerAsync(new ContainerSpec { Image = "busybox", Cmd = ["nosuchcmd"], Network = "none", Binds = ["vol:/v"] }, Ct);
        await Assert.ThrowsAnyAsync<BerthException>(() => c.StartContainerAsync(failing.Id, Ct));

        var seen = (await c.EventsAsync(since, Ct)).Where(x => x.Type != "container" || x.Action is "start" or "die").ToList();
        Assert.Equal(
        [
            $"network connect {HostId} {host.Id}", $"container start {host.Id} ", $"container die {host.Id} ", $"network disconnect {HostId} {host.Id}",
            $"network connect {NoneId} {owner.Id}", $"container start {owner.Id} ",
            $"container start {joiner.Id} ", $"container die {joiner.Id} ",
            "volume create vol ", $"network connect {NoneId} {failing.Id}", $"volume mount vol {failing.Id}", $"network disconnect {NoneId} {failing.Id}", $"volume unmount vol {failing.Id}",
        ], seen.Select(x => $"{x.Type} {x.Action} {x.ActorId} {x.Attributes.GetValueOrDefault("container")}"));
        Assert.Equal(Attributes(("container", host.Id), ("name", "host"), ("type", "host")), seen[0].Attributes);
        await c.RemoveContainerAsync(owner.Id, force: true, removeVolumes: true, Ct);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task AnImagesVolumePathsGetAnonymousVolumesUnlessSomethingIsMountedThere(string backend)
    {
        // An image's VOLUME is an anonymous volume of each container (dockerd makes one at create and logs it, seeded
        // with the image's files there): what the container writes there is the volume's, not its layer's, and
        // goes with rm -v. A path the container mounts something else on gets none.
        await using var e = await EngineBackend.StartAsync(backend, image, Ct);
        var c = e.Client;
        await c.ImportAsync(image.Path, "withvol:1", ["VOLUME /vol /etc", "CMD [\"/bin/sh\"]"], Ct);
        var since = DateTimeOffset.UtcNow;
        var row = await c.CreateContainerAsync(new ContainerSpec { Image = "withvol:1", Cmd = ["true"], Binds = ["named:/etc"] }, Ct);
        await c.StartContainerAsync(row.Id, Ct);
        Assert.Equal(0, await c.WaitContainerAsync(row.Id, Ct));
        var anon = Assert.Single(await c.ListVolumesAsync(Ct), v => v != "named");
        Assert.Matches("^[0-9a-f]{64}$", anon);
        var seeded = await c.CreateContainerAsync(new ContainerSpec { Image = "withvol:1", Cmd = ["sh", "-c", "test -f /etc/passwd && echo kept > /vol/f && cat /vol/f"] }, Ct);
        await c.StartContainerAsync(seeded.Id, Ct);
        Assert.Equal(0, await c.WaitContainerAsync(seeded.Id, Ct));
        Assert.Equal("kept\n", string.Concat((await c.LogsAsync(seeded.Id, Ct)).Select(l => l.Text)));
        Assert.Equal(4, (await c.ListVolumesAsync(Ct)).Count);
        await c.RemoveContainerAsync(row.Id, force: false, removeVolumes: true, Ct);
        await c.RemoveContainerAsync(seeded.Id, force: false, removeVolumes: true, Ct);
        Assert.Equal(["named"], await c.ListVolumesAsync(Ct));

        // The first container's volumes: the named one, then the image's, each made at its create.
        var seen = (await c.EventsAsync(since, Ct)).Where(x => x.Type == "volume" && x.ActorId is "named" || x.ActorId == anon);
        Assert.Equal(["create named -", $"create {anon} -", "mount named /etc", $"mount {anon} /vol", "unmount named -", $"unmount {anon} -", $"destroy {anon} -"],
            seen.Select(x => $"{x.Action} {x.ActorId} {x.Attributes.GetValueOrDefault("destination", "-")}"));
    }

    private static readonly string NoneId = Networks.NetworkService.BuiltinId("none");
    private static readonly string HostId = Networks.NetworkService.BuiltinId("host");

    private static Dictionary<string, string> Attributes(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);
}
