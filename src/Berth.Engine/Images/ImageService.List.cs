using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    /// <summary>What <c>images</c> and the Engine API's <c>GET /images/json</c> ask for: docker's filters (values of
    /// one key are alternatives, keys must all match) and an optional <c>REPOSITORY[:TAG]</c>.</summary>
    public sealed record ListQuery
    {
        public IReadOnlyDictionary<string, IReadOnlyList<string>> Filters { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
        public string? Reference { get; init; }

        public static readonly IReadOnlySet<string> FilterKeys = new HashSet<string>(StringComparer.Ordinal)
        {
            "dangling", "reference", "label", "before", "since",
        };
    }

    /// <summary>One line of <c>images</c>: an image under one of its tags (null: an untagged image).</summary>
    public sealed record ListEntry(ImageView View, ImageReference? Tag);

    /// <summary>The images <paramref name="query"/> asks for, newest first, one entry per tag.</summary>
    public IReadOnlyList<ListEntry> List(ListQuery query)
    {
        foreach (var key in query.Filters.Keys)
            if (!ListQuery.FilterKeys.Contains(key)) throw BerthException.Invalid($"invalid filter '{key}'");
        foreach (var v in query.Filters.GetValueOrDefault("dangling") ?? [])
            if (v is not ("true" or "false" or "1" or "0")) throw BerthException.Invalid($"invalid filter 'dangling={v}'");
        // before=/since=: images created before or after the one named.
        var created = query.Filters.Where(f => f.Key is "before" or "since").SelectMany(f => f.Value).Distinct()
            .ToDictionary(v => v, v => CreatedOf(Resolve(v)), StringComparer.Ordinal);
        var entries = new List<ListEntry>();
        foreach (var view in List())
        {
            var tags = view.Tags.Count == 0 ? [null] : view.Tags.Cast<ImageReference?>().ToList();
            foreach (var tag in tags)
                if (Matches(view, tag, query, created)) entries.Add(new ListEntry(view, tag));
        }
        return entries;
    }

    private static DateTimeOffset CreatedOf(Storage.Metadata.ImageRecord r) => r.Created ?? r.Added;

    private static bool Matches(ImageView v, ImageReference? tag, ListQuery query, Dictionary<string, DateTimeOffset> created)
    {
        if (query.Reference is { } repo)
        {
            if (tag is null) return false;
            bool hasTag = repo.LastIndexOf(':') > repo.LastIndexOf('/');
            if (hasTag ? !ImageReference.TryParse(repo, out var r) || r!.ToString() != tag.ToString()
                       : !ImageReference.TryParse(repo, out var r2) || r2!.Repository != tag.Repository) return false;
        }
        foreach (var (key, values) in query.Filters)
        {
            // Compat: docker's label filters must all hold (filters.MatchKVList), unlike other keys' alternatives.
            bool ok = key == "label" ? values.All(value => v.Config.Config?.Labels is { } all && Containers.ContainerService.LabelMatches(all, value)) : values.Any(value => key switch
            {
                "dangling" => (value is "true" or "1") == (v.Tags.Count == 0),
                "reference" => tag is not null && (System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(value, tag.FamiliarName)
                                                   || System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(value, tag.FamiliarRepository)),
                "label" => v.Config.Config?.Labels is { } labels && Containers.ContainerService.LabelMatches(labels, value),
                "before" => CreatedOf(v.Record) < created[value],
                "since" => CreatedOf(v.Record) > created[value],
                _ => true,
            });
            if (!ok) return false;
        }
        return true;
    }
}
