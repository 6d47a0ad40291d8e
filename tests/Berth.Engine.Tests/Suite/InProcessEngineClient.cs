using Berth.Build;
using Berth.Build.Progress;
using Berth.Engine.Containers;
using Berth.Engine.Events;
using Berth.Engine.Images;

namespace Berth.Engine.Tests.Suite;

/// <summary>The suite's operations as the engine's typed requests, in this process (what the CLI does).</summary>
public sealed class InProcessEngineClient(EngineOptions options) : IEngineClient
{
    public BerthEngine Engine { get; } = new(options);

    private ContainerService Containers => Engine.Containers;

    public Task<string> ImportAsync(string tarPath, string reference, IReadOnlyList<string> changes, CancellationToken ct)
    {
        using var tar = File.OpenRead(tarPath);
        var id = Engine.Images.Import(tar, new ImageService.ImportOptions { Reference = reference, Changes = changes, SourceName = tarPath }, ct);
        return Task.FromResult(id.ToString());
    }

    public Task TagImageAsync(string source, string target, CancellationToken ct)
    {
        Engine.Images.Tag(source, target, ct);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ImageEntry>> ListImagesAsync(IReadOnlyDictionary<string, IReadOnlyList<string>>? filters, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ImageEntry>>(Engine.Images.List(new ImageService.ListQuery { Filters = filters ?? new Dictionary<string, IReadOnlyList<string>>() })
            .Select(e => new ImageEntry(e.Tag?.FamiliarName, e.View.Record.Id.ToString())).ToList());

    public Task<string> InspectImageAsync(string nameOrId, CancellationToken ct) => Task.FromResult(Engine.Images.Resolve(nameOrId).Id.ToString());

    public Task<ImageRemoval> RemoveImageAsync(string nameOrId, CancellationToken ct)
    {
        var result = Engine.Images.Remove(nameOrId, force: false, prune: true, ct);
        return Task.FromResult(new ImageRemoval(result.Untagged, [.. result.Deleted.Select(d => d.ToString())]));
    }

    public Task<ContainerState> CreateContainerAsync(ContainerSpec spec, CancellationToken ct)
    {
        var row = Containers.Create(new ContainerRequest
        {
            Image = spec.Image,
            Name = spec.Name,
            Cmd = spec.Cmd,
            Binds = [.. spec.Volumes.Select(v => new MountRequest { Type = MountKind.Volume, Source = v.Volume, Target = v.Target }), .. spec.Binds.Select(BindSyntax.Parse)],
            Network = spec.Network ?? "default",
        }, ct);
        return Task.FromResult(State(row));
    }

    public Task StartContainerAsync(string idOrName, CancellationToken ct)
    {
        Containers.StartDetached(Containers.Resolve(idOrName), ct);
        return Task.CompletedTask;
    }

    public Task<int> WaitContainerAsync(string idOrName, CancellationToken ct) => Task.FromResult(Containers.Wait(Containers.Resolve(idOrName), ct));

    public Task<IReadOnlyList<LogLine>> LogsAsync(string idOrName, CancellationToken ct)
    {
        var lines = new List<LogLine>();
        Containers.Logs(Containers.Resolve(idOrName), new LogOptions(), e => lines.Add(new LogLine(e.Stream, e.Log)), ct);
        return Task.FromResult<IReadOnlyList<LogLine>>(lines);
    }

    public Task<ContainerState> InspectContainerAsync(string idOrName, CancellationToken ct) => Task.FromResult(State(Containers.Resolve(idOrName)));

    public Task<IReadOnlyList<string>> ListContainersAsync(bool all, IReadOnlyDictionary<string, IReadOnlyList<string>>? filters, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>>(Containers.List(new ContainerListQuery { All = all, Filters = filters ?? new Dictionary<string, IReadOnlyList<string>>() })
            .Select(r => r.Id).ToList());

    public Task RemoveContainerAsync(string idOrName, bool force, bool removeVolumes, CancellationToken ct)
    {
        Containers.Remove(Containers.Resolve(idOrName), force, removeVolumes, ct);
        return Task.CompletedTask;
    }

    public Task<TopTable> TopAsync(string idOrName, IReadOnlyList<string> psArgs, CancellationToken ct)
    {
        var top = Containers.Top(Containers.Resolve(idOrName), psArgs);
        return Task.FromResult(new TopTable(top.Titles, top.Processes));
    }

    public Task<bool> EnsureVolumeAsync(string name, CancellationToken ct) => Task.FromResult(Engine.Volumes.Ensure(name, anonymous: false));

    public Task RemoveVolumeAsync(string name, bool force, CancellationToken ct)
    {
        Engine.Volumes.Remove(name, force);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListVolumesAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>>(Engine.Volumes.List().Select(v => v.Name).ToList());

    public async Task<BuildOutcome> BuildAsync(string contextDirectory, string dockerfile, IReadOnlyList<string> tags, CancellationToken ct)
    {
        var result = await Engine.Builds.BuildAsync(new BuildRequest { ContextDirectory = contextDirectory, DockerfileText = dockerfile, Tags = tags }, new NullProgress(), ct);
        return new BuildOutcome(result.ImageId.ToString(), result.Steps, result.CachedSteps);
    }

    public async Task<IReadOnlyList<EngineEventView>> EventsAsync(DateTimeOffset since, CancellationToken ct)
    {
        var seen = new List<EngineEventView>();
        await foreach (var e in Engine.Events.ReadAsync(since, null, EventFilter.None, follow: false, ct))
            seen.Add(new EngineEventView(e.Type, e.Action, e.Actor.Id, e.Actor.Attributes, e.TimeNano));
        return seen;
    }

    private static ContainerState State(Storage.Metadata.ContainerRow row) => new(row.Id, row.Name, row.Status, row.ExitCode, row.Pid);

    public ValueTask DisposeAsync()
    {
        Engine.Dispose();
        return ValueTask.CompletedTask;
    }
}
