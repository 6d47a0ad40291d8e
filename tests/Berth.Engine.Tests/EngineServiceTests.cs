using Berth.Testing;
using Berth.Build;
using Berth.Build.Progress;
using Berth.Engine.Containers;
using Berth.Engine.Events;
using Berth.Engine.Images;
using Berth.Oci.Errors;

namespace Berth.Engine.Tests;

/// <summary>The engine driven in-process through its typed requests: images, containers, volumes, builds and the
/// event log, with assertions on behaviour (the CLI is a thin client over exactly these calls).</summary>
[Collection("engine")]
public sealed class EngineServiceTests(BusyboxTar image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void ImagesAreTaggedListedFilteredAndRemoved()
    {
        using var e = new EngineUnderTest(image);
        var images = e.Engine.Images;
        images.Tag("busybox", "example.com/team/app:1", Ct);
        var entries = images.List(new ImageService.ListQuery());
        Assert.Equal(["busybox:latest", "example.com/team/app:1"], entries.Select(x => x.Tag!.FamiliarName).Order(StringComparer.Ordinal));
        Assert.All(entries, x => Assert.Equal(e.BusyboxId, x.View.Record.Id));
        var filtered = images.List(new ImageService.ListQuery { Filters = new Dictionary<string, IReadOnlyList<string>> { ["reference"] = ["example.com/*/*"] } });
        Assert.Equal("example.com/team/app:1", Assert.Single(filtered).Tag!.FamiliarName);
        var bad = Assert.Throws<BerthException>(() => images.List(new ImageService.ListQuery { Filters = new Dictionary<string, IReadOnlyList<string>> { ["size"] = ["1"] } }));
        Assert.Equal(ErrorKind.InvalidArgument, bad.Kind);

        // Removing by one of two names only untags; by the last name deletes.
        var first = images.Remove("example.com/team/app:1", force: false, prune: true, Ct);
        Assert.Equal(["example.com/team/app:1"], first.Untagged);
        Assert.Empty(first.Deleted);
        var second = images.Remove("busybox", force: false, prune: true, Ct);
        Assert.Equal([e.BusyboxId], second.Deleted);
        Assert.Empty(images.List(new ImageService.ListQuery()));
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<BerthException>(() => images.Resolve("busybox")).Kind);
        Assert.True(images.Check(repair: false, Ct).Clean);
    }

    [Fact]
    public void AContainerRunsDetachedLogsWaitsAndIsRemovedWithoutTrace()
    {
        using var e = new EngineUnderTest(image);
        var containers = e.Engine.Containers;
        var row = containers.Create(new ContainerRequest { Image = "busybox", Name = "worker", Cmd = ["sh", "-c", "echo out; echo err >&2; exit 4"] }, Ct);
        Assert.Equal("created", row.Status);
        Assert.Equal(ErrorKind.Conflict, Assert.Throws<BerthException>(() => containers.Create(new ContainerRequest { Image = "busybox", Name = "worker" }, Ct)).Kind);

        containers.StartDetached(row, Ct);
        Assert.Equal(4, containers.Wait(containers.Resolve("worker"), Ct));
        var logs = new List<LogEntry>();
        containers.Logs(containers.Resolve("worker"), new LogOptions(), logs.Add, Ct);
        Assert.Equal([("stderr", "err\n"), ("stdout", "out\n")], logs.Select(l => (l.Stream, l.Log)).Order());
        var exited = containers.Resolve("worker");
        Assert.Equal("exited", exited.Status);
        Assert.Equal(4, exited.ExitCode);
        Assert.Equal([exited.Id], containers.List(new ContainerListQuery { All = true, Filters = new Dictionary<string, IReadOnlyList<string>> { ["exited"] = ["4"] } }).Select(r => r.Id));
        Assert.Empty(containers.List(new ContainerListQuery()));

        containers.Remove(exited, force: false, removeVolumes: true, Ct);
        Assert.False(containers.TryResolve("worker", out _));
        Assert.False(Directory.Exists(containers.DirOf(exited.Id)));
        Assert.Empty(e.LeftoverCgroups());
        Assert.False(File.Exists(containers.AttachSocketOf(exited.Id)));
    }

    [Fact]
    public void TopListsTheContainersProcessesOnly()
    {
        using var e = new EngineUnderTest(image);
        var containers = e.Engine.Containers;
        var row = containers.Create(new ContainerRequest { Image = "busybox", Cmd = ["sleep", "60"] }, Ct);
        containers.StartDetached(row, Ct);
        var top = containers.Top(containers.Resolve(row.Id), ["-o", "pid,comm"]);
        Assert.Equal(["PID", "COMMAND"], top.Titles);
        var process = Assert.Single(top.Processes);
        Assert.Equal("sleep", process[1]);
        Assert.Equal(containers.Resolve(row.Id).Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), process[0]);
        Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<BerthException>(() => containers.Top(containers.Resolve(row.Id), ["-o", "comm"])).Kind);
        containers.Remove(containers.Resolve(row.Id), force: true, removeVolumes: true, Ct);
    }

    [Fact]
    public void VolumesInUseAreKeptAndFreeOnesRemoved()
    {
        using var e = new EngineUnderTest(image);
        var volumes = e.Engine.Volumes;
        Assert.True(volumes.Ensure("data", anonymous: false));
        Assert.False(volumes.Ensure("data", anonymous: false));
        var row = e.Engine.Containers.Create(new ContainerRequest { Image = "busybox", Binds = [new MountRequest { Type = MountKind.Volume, Source = "data", Target = "/data" }], Cmd = ["true"] }, Ct);
        Assert.Equal(ErrorKind.Conflict, Assert.Throws<BerthException>(() => volumes.Remove("data", force: false)).Kind);
        e.Engine.Containers.Remove(row, force: false, removeVolumes: false, Ct);
        volumes.Remove("data", force: false);
        Assert.Empty(volumes.List());
    }

    [Fact]
    public async Task ABuildRunsItsStepsInContainersAndReusesItsCache()
    {
        using var e = new EngineUnderTest(image);
        var context = e.Dir.Sub("ctx");
        File.WriteAllText(Path.Combine(context, "greeting"), "hello");
        var request = new BuildRequest
        {
            ContextDirectory = context,
            DockerfileText = "FROM busybox\nCOPY greeting /g\nRUN cat /g > /copied && echo ran\n",
            Tags = ["built:1"],
        };
        var first = await e.Engine.Builds.BuildAsync(request, new NullProgress(), Ct);
        Assert.Equal(0, first.CachedSteps);
        var again = await e.Engine.Builds.BuildAsync(request, new NullProgress(), Ct);
        Assert.Equal(first.ImageId, again.ImageId);
        Assert.Equal(again.Steps, again.CachedSteps);

        var row = e.Engine.Containers.Create(new ContainerRequest { Image = "built:1", Cmd = ["cat", "/copied"] }, Ct);
        e.Engine.Containers.StartDetached(row, Ct);
        Assert.Equal(0, e.Engine.Containers.Wait(e.Engine.Containers.Resolve(row.Id), Ct));
        var logs = new List<LogEntry>();
        e.Engine.Containers.Logs(e.Engine.Containers.Resolve(row.Id), new LogOptions(), logs.Add, Ct);
        Assert.Equal("hello", string.Concat(logs.Select(l => l.Log)));
        Assert.DoesNotContain(e.LeftoverCgroups(), c => !c.EndsWith(row.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryChangeIsAnEventInOrder()
    {
        using var e = new EngineUnderTest(image);
        var since = DateTimeOffset.UtcNow;
        var row = e.Engine.Containers.Create(new ContainerRequest { Image = "busybox", Name = "evented", Cmd = ["true"] }, Ct);
        e.Engine.Containers.StartDetached(row, Ct);
        e.Engine.Containers.Wait(e.Engine.Containers.Resolve(row.Id), Ct);
        e.Engine.Containers.Remove(e.Engine.Containers.Resolve(row.Id), force: false, removeVolumes: true, Ct);
        e.Engine.Images.Tag("busybox", "again:1", Ct);

        var seen = new List<EngineEvent>();
        await foreach (var ev in e.Engine.Events.ReadAsync(since, null, EventFilter.None, follow: false, Ct)) seen.Add(ev);
        Assert.Equal(["container create", "container start", "container die", "container destroy", "image tag"], seen.Select(x => $"{x.Type} {x.Action}"));
        Assert.All(seen.Take(4), x => Assert.Equal(row.Id, x.Actor.Id));
        Assert.Equal("0", seen[2].Actor.Attributes["exitCode"]);
        Assert.Equal("again:1", seen[4].Actor.Attributes["name"]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.TimeNano <= p.Second.TimeNano));
    }
}
