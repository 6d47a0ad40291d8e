namespace Berth.Engine.Tests.Suite;

/// <summary>What the shared engine suite asks of a berth installation, in the suite's own terms (image references,
/// container IDs and names, exit codes, log lines, events), so the same tests run against the engine in this
/// process and against the Docker Engine API that <c>berth daemon</c> serves from the same engine. Failures are
/// <see cref="Oci.Errors.BerthException"/>s with the engine's <see cref="Oci.Errors.ErrorKind"/> on both: the API
/// client maps dockerd's statuses back (404 NotFound, 409 Conflict, 400 InvalidArgument …).</summary>
public interface IEngineClient : IAsyncDisposable
{
    /// <summary>Imports a root file system tar as <paramref name="reference"/>; returns the image ID.</summary>
    Task<string> ImportAsync(string tarPath, string reference, IReadOnlyList<string> changes, CancellationToken ct);

    Task TagImageAsync(string source, string target, CancellationToken ct);

    Task<IReadOnlyList<ImageEntry>> ListImagesAsync(IReadOnlyDictionary<string, IReadOnlyList<string>>? filters, CancellationToken ct);

    /// <summary>The image's ID; NotFound when the name resolves to none.</summary>
    Task<string> InspectImageAsync(string nameOrId, CancellationToken ct);

    /// <summary>Removes (or only untags) an image, pruning its untagged parents.</summary>
    Task<ImageRemoval> RemoveImageAsync(string nameOrId, CancellationToken ct);

    Task<ContainerState> CreateContainerAsync(ContainerSpec spec, CancellationToken ct);

    Task StartContainerAsync(string idOrName, CancellationToken ct);

    /// <summary>Waits until the container is not running; its exit code.</summary>
    Task<int> WaitContainerAsync(string idOrName, CancellationToken ct);

    /// <summary>The container's log so far, a line per entry, each with its stream (stdout, stderr).</summary>
    Task<IReadOnlyList<LogLine>> LogsAsync(string idOrName, CancellationToken ct);

    /// <summary>The container's state; NotFound when there is none by that name or ID.</summary>
    Task<ContainerState> InspectContainerAsync(string idOrName, CancellationToken ct);

    /// <summary>IDs of the containers listed (running ones only unless <paramref name="all"/>).</summary>
    Task<IReadOnlyList<string>> ListContainersAsync(bool all, IReadOnlyDictionary<string, IReadOnlyList<string>>? filters, CancellationToken ct);

    Task RemoveContainerAsync(string idOrName, bool force, bool removeVolumes, CancellationToken ct);

    Task<TopTable> TopAsync(string idOrName, IReadOnlyList<string> psArgs, CancellationToken ct);

    /// <summary>Creates the named volume if it does not exist; true when it did not.</summary>
    Task<bool> EnsureVolumeAsync(string name, CancellationToken ct);

    Task RemoveVolumeAsync(string name, bool force, CancellationToken ct);

    Task<IReadOnlyList<string>> ListVolumesAsync(CancellationToken ct);

    /// <summary>Builds <paramref name="dockerfile"/> with <paramref name="contextDirectory"/> as its context.</summary>
    Task<BuildOutcome> BuildAsync(string contextDirectory, string dockerfile, IReadOnlyList<string> tags, CancellationToken ct);

    /// <summary>The events logged from <paramref name="since"/> until now, oldest first.</summary>
    Task<IReadOnlyList<EngineEventView>> EventsAsync(DateTimeOffset since, CancellationToken ct);
}

/// <summary>One row of the image list: a tag (null for an untagged image) and the image's ID.</summary>
public sealed record ImageEntry(string? Tag, string Id);

public sealed record ImageRemoval(IReadOnlyList<string> Untagged, IReadOnlyList<string> Deleted);

/// <summary>A container to create: busybox-style command, an optional name, named volumes mounted at a path, more
/// mounts in <c>-v</c>'s syntax (<c>/path</c> for an anonymous volume, <c>NAME:/path:ro</c>, a bind), and the network
/// mode (null: the installation's default).</summary>
public sealed record ContainerSpec
{
    public required string Image { get; init; }
    public string? Name { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public IReadOnlyList<(string Volume, string Target)> Volumes { get; init; } = [];
    public IReadOnlyList<string> Binds { get; init; } = [];
    public string? Network { get; init; }
}

public sealed record ContainerState(string Id, string Name, string Status, int ExitCode, int Pid);

public sealed record LogLine(string Stream, string Text);

public sealed record TopTable(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

/// <summary>A build's result: the image, how many steps made layers and how many of those came from the cache.
/// In-process these are the builder's own counts; through the API they are read from the legacy builder's stream
/// (<c>Step N/M : …</c> lines other than FROM, and <c> ---&gt; Using cache</c> lines), which agree for a
/// Dockerfile whose steps after FROM all make layers (COPY, RUN), as the suite's do.</summary>
public sealed record BuildOutcome(string ImageId, int Steps, int CachedSteps);

/// <summary>An event as the suite checks it: type, action, actor and its attributes, time in nanoseconds.</summary>
public sealed record EngineEventView(string Type, string Action, string ActorId, IReadOnlyDictionary<string, string> Attributes, long TimeNano);
