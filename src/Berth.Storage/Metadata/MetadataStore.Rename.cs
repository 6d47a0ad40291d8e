using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

public sealed partial class MetadataStore
{
    /// <summary>Gives a container a new name; false when another container holds it (names are unique).</summary>
    public bool TryRenameContainer(string id, string name)
    {
        try
        {
            Exec("UPDATE containers SET name=$n WHERE id=$id", ("$n", name), ("$id", id));
            return true;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT */)
        {
            return false;
        }
    }
}
