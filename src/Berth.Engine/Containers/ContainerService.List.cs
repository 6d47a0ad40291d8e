using System.Globalization;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>ps</c>: the containers <paramref name="query"/> asks for, newest first, their states brought up to
    /// date. A status or exited filter, or a limit, shows every state (as docker's).</summary>
    public IReadOnlyList<ContainerRow> List(ContainerListQuery query)
    {
        var filters = query.Filters;
        foreach (var key in filters.Keys)
            if (!ContainerListQuery.FilterKeys.Contains(key)) throw BerthException.Invalid($"invalid filter '{key}'");
        foreach (var v in filters.GetValueOrDefault("health") ?? [])
            if (v is not (HealthJson.Starting or HealthJson.Healthy or HealthJson.Unhealthy or HealthJson.None))
                throw BerthException.Invalid($"Unrecognised filter value for health: {v}");
        var showAll = query.All || filters.ContainsKey("status") || filters.ContainsKey("exited") || query.Limit is not null;
        // before=/since=: containers created before or after the one named.
        var created = filters.Where(f => f.Key is "before" or "since").SelectMany(f => f.Value).Distinct()
            .ToDictionary(v => v, v => Resolve(v).Created, StringComparer.Ordinal);
        IEnumerable<ContainerRow> rows = List().Where(r => (showAll || r.Status == "running") && Matches(r, filters, created));
        if (query.Limit is { } n) rows = rows.Take(n);
        return rows.ToList();
    }

    private bool Matches(ContainerRow r, IReadOnlyDictionary<string, IReadOnlyList<string>> filters, Dictionary<string, DateTimeOffset> created)
    {
        foreach (var (key, values) in filters)
        {
            // Compat: docker's label filters must all hold (filters.MatchKVList), unlike other keys' alternatives;
            // docker-compose lists a project's containers with label=project=P and label=oneoff=False.
            if (key == "label")
            {
                if (!values.All(v => LabelMatches(ConfigOf(r).Labels, v))) return false;
                continue;
            }
            var ok = values.Any(v => key switch
            {
                "status" => StateOf(r) == v,
                "name" => r.Name.Contains(v.TrimStart('/'), StringComparison.Ordinal),
                "id" => r.Id.StartsWith(v, StringComparison.Ordinal),
                "exited" => r.Status == "exited" && r.ExitCode.ToString(CultureInfo.InvariantCulture) == v,
                "ancestor" => r.ImageName == v || r.ImageId == v || r.ImageId.StartsWith("sha256:" + v, StringComparison.Ordinal)
                              || Images.TryResolve(v, out var img) && img!.Id.ToString() == r.ImageId,
                "label" => LabelMatches(ConfigOf(r).Labels, v),
                "health" => HealthStatusOf(r) == v,
                "volume" => ConfigOf(r).Mounts.Any(m => m.Name == v || m.Destination == v),
                "before" => r.Created < created[v],
                "since" => r.Created > created[v],
                _ => true,
            });
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>docker's <c>label=KEY</c> / <c>label=KEY=VALUE</c>.</summary>
    public static bool LabelMatches(IReadOnlyDictionary<string, string> labels, string filter)
    {
        var eq = filter.IndexOf('=');
        if (eq < 0) return labels.ContainsKey(filter);
        return labels.TryGetValue(filter[..eq], out var v) && v == filter[(eq + 1)..];
    }
}
