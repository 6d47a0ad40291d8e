namespace Berth.Dockerfile.Instructions;

/// <summary>
/// The image config's Healthcheck as docker writes it: <see cref="Test"/> is <c>["NONE"]</c>,
/// <c>["CMD", args...]</c> or <c>["CMD-SHELL", command]</c>. A zero duration or retry count means "inherit".
/// </summary>
public sealed record HealthConfig
{
    public required IReadOnlyList<string> Test { get; init; }

    public TimeSpan Interval { get; init; }

    public TimeSpan Timeout { get; init; }

    public TimeSpan StartPeriod { get; init; }

    public TimeSpan StartInterval { get; init; }

    public int Retries { get; init; }
}
