namespace Berth.Storage.Metadata;

/// <summary>A container as stored: identity, the image it runs, its creation request (engine JSON, opaque here)
/// and its last known state. <see cref="Status"/> is "created", "running" or "exited"; a "running" row is checked
/// against the live process (<see cref="Pid"/> and its start time) by the engine on every read.</summary>
public sealed record ContainerRow
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string ImageId { get; init; }
    public required string ImageName { get; init; }
    public required DateTimeOffset Created { get; init; }
    /// <summary>The engine's creation request, as JSON.</summary>
    public required string Config { get; init; }
    public string Status { get; init; } = "created";
    public int Pid { get; init; }
    public ulong PidStart { get; init; }
    /// <summary>The process that waits for the container (the monitor, or the attached CLI) and records its exit.</summary>
    public int MonitorPid { get; init; }
    public ulong MonitorStart { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int ExitCode { get; init; }
    public bool OomKilled { get; init; }
    public string? Error { get; init; }
    public int RestartCount { get; init; }
}

/// <summary>A named (or anonymous) volume: its data lives in <c>volumes/&lt;name&gt;/_data</c>.</summary>
public sealed record VolumeRow
{
    public required string Name { get; init; }
    public required DateTimeOffset Created { get; init; }
    public bool Anonymous { get; init; }
    /// <summary>Labels as JSON (an object of strings), opaque here.</summary>
    public string? Labels { get; init; }
}
