namespace Berth.Storage.Metadata;

public sealed partial class MetadataStore
{
    /// <summary>Replaces a container's stored config (<c>update</c>: new limits and restart policy).</summary>
    public void UpdateContainerConfig(string id, string config) =>
        Exec("UPDATE containers SET config=$cf WHERE id=$id", ("$cf", config), ("$id", id));
}
