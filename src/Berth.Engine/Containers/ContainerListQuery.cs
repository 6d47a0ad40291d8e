namespace Berth.Engine.Containers;

/// <summary>What <c>ps</c> and the Engine API's <c>GET /containers/json</c> ask for: running containers, or all;
/// docker's filters (values of one key are alternatives, keys must all match); the newest <see cref="Limit"/>
/// (which, as docker's <c>-n</c>/<c>-l</c>, includes every state).</summary>
public sealed record ContainerListQuery
{
    public bool All { get; init; }
    public int? Limit { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Filters { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The filter keys berth answers.</summary>
    public static readonly IReadOnlySet<string> FilterKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "status", "name", "id", "label", "ancestor", "exited", "before", "since", "volume", "health",
    };
}
