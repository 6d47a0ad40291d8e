using System.Text.Json;
using Berth.Engine.Containers;
using Berth.Oci.Errors;
using Berth.Storage;
using Berth.Storage.Metadata;

namespace Berth.Engine.Volumes;

/// <summary>Named volumes of the local driver: a row in the metadata and a directory <c>volumes/&lt;name&gt;/_data</c>
/// that containers bind. Anonymous volumes (<c>-v /path</c>) are the same with a random name, removed by
/// <c>rm -v</c> and <c>volume prune</c>.</summary>
public sealed class VolumeService(Store store, TimeProvider time)
{
    public string VolumesDir { get; } = Path.Combine(store.Root, "volumes");

    private Events.EventService Events { get; } = new(store, time);

    /// <summary>The containers that mount a volume; set by the container service.</summary>
    public Func<string, IReadOnlyList<string>> UsedBy { get; set; } = _ => [];

    public string DataPathOf(string name) => Path.Combine(VolumesDir, name, "_data");

    public static bool ValidName(string name) =>
        name.Length > 1 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>Creates the volume if it does not exist; true when it was created. Either way the log gets a "create"
    /// event, as dockerd's volume service records one for every create it is asked for: <c>volume create</c> of an
    /// existing name, and each named or anonymous volume a container's create mounts.</summary>
    public bool Ensure(string name, bool anonymous, IReadOnlyDictionary<string, string>? labels = null)
    {
        if (!ValidName(name))
            throw BerthException.Invalid($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed");
        var created = Create(name, anonymous, labels);
        Events.Record("volume", "create", name, [new("driver", "local")]);
        return created;
    }

    private bool Create(string name, bool anonymous, IReadOnlyDictionary<string, string>? labels)
    {
        if (store.Metadata.GetVolume(name) is not null) return false;
        Directory.CreateDirectory(DataPathOf(name));
        var row = new VolumeRow
        {
            Name = name,
            Created = time.GetUtcNow(),
            Anonymous = anonymous,
            Labels = labels is { Count: > 0 } ? JsonSerializer.Serialize(new Dictionary<string, string>(labels), ContainerJsonContext.Default.DictionaryStringString) : null,
        };
        return store.Metadata.TryAddVolume(row);
    }

    public VolumeRow Get(string name) => store.Metadata.GetVolume(name) ?? throw BerthException.NotFound($"get {name}: no such volume");

    public IReadOnlyList<VolumeRow> List() => store.Metadata.ListVolumes();

    public VolumeInspect Inspect(VolumeRow v) => new()
    {
        CreatedAt = v.Created.ToString("yyyy-MM-dd'T'HH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture),
        Labels = LabelsOf(v),
        Mountpoint = DataPathOf(v.Name),
        Name = v.Name,
    };

    public static IReadOnlyDictionary<string, string> LabelsOf(VolumeRow v) =>
        v.Labels is { } json ? JsonSerializer.Deserialize(json, ContainerJsonContext.Default.DictionaryStringString) ?? [] : new Dictionary<string, string>();

    public void Remove(string name, bool force)
    {
        var v = store.Metadata.GetVolume(name);
        if (v is null)
        {
            if (force) return;
            throw BerthException.NotFound($"get {name}: no such volume");
        }
        var users = UsedBy(name);
        if (users.Count > 0) throw BerthException.Conflict($"remove {name}: volume is in use - [{string.Join(", ", users)}]");
        store.Metadata.DeleteVolume(name);
        DeleteTree(Path.Combine(VolumesDir, name));
        Events.Record("volume", "destroy", name, [new("driver", "local")]);
    }

    /// <summary>Removes a volume no container uses, ignoring failures (cleanup after a failed create, <c>rm -v</c>);
    /// its "destroy" event as <see cref="Remove"/>'s.</summary>
    public void RemoveQuiet(string name)
    {
        try
        {
            if (UsedBy(name).Count > 0 || !store.Metadata.DeleteVolume(name)) return;
            DeleteTree(Path.Combine(VolumesDir, name));
        }
        catch (BerthException)
        {
            return;
        }
        Events.Record("volume", "destroy", name, [new("driver", "local")]);
    }

    /// <summary><c>volume prune</c>: unused anonymous volumes, or with <paramref name="all"/> every unused volume.</summary>
    public (IReadOnlyList<string> Removed, long Reclaimed) Prune(bool all) => Prune(all, _ => true);

    /// <summary><c>volume prune</c>: the unused volumes (anonymous ones only unless <paramref name="all"/>) that
    /// <paramref name="matches"/> selects (docker's <c>label</c>/<c>label!</c> filters).</summary>
    public (IReadOnlyList<string> Removed, long Reclaimed) Prune(bool all, Func<VolumeRow, bool> matches)
    {
        var removed = new List<string>();
        long bytes = 0;
        foreach (var v in List())
        {
            if (!all && !v.Anonymous) continue;
            if (!matches(v)) continue;
            if (UsedBy(v.Name).Count > 0) continue;
            bytes += DirectorySize.Of(Path.Combine(VolumesDir, v.Name));
            store.Metadata.DeleteVolume(v.Name);
            DeleteTree(Path.Combine(VolumesDir, v.Name));
            removed.Add(v.Name);
        }
        // dockerd's event for the prune itself (no destroy for each volume it prunes).
        Events.Record("volume", "prune", "", [new("reclaimed", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        return (removed, bytes);
    }

    private static void DeleteTree(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
