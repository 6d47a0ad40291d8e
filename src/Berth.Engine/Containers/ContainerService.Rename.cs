using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>rename</c>: a new name for a container in any state, with docker's checks and wording; the
    /// event "rename" carries the old name.</summary>
    public ContainerRow Rename(ContainerRow row, string newName)
    {
        var name = newName.TrimStart('/');
        if (name.Length == 0) throw BerthException.Invalid("Neither old nor new names may be empty");
        if (name == row.Name) throw BerthException.Invalid("Renaming a container with the same name as its current name");
        if (!ValidName(name))
            throw BerthException.Invalid($"Error when allocating new name: Invalid container name (/{name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        if (!Store.Metadata.TryRenameContainer(row.Id, name))
        {
            var holder = Store.Metadata.GetContainerByName(name);
            throw BerthException.Conflict($"Error when allocating new name: Conflict. The container name \"/{name}\" is already in use by container \"{holder?.Id}\". You have to remove (or rename) that container to be able to reuse that name.");
        }
        var renamed = row with { Name = name };
        Record(renamed, "rename", ("oldName", "/" + row.Name));
        return renamed;
    }
}
