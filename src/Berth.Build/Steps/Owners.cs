using System.Globalization;
using Berth.Oci.Errors;

namespace Berth.Build.Steps;

/// <summary>Resolves <c>--chown</c> and USER values (<c>user[:group]</c>, names or numbers) against the image's
/// /etc/passwd and /etc/group, as BuildKit does for COPY.</summary>
public static class Owners
{
    public static (uint Uid, uint Gid) Resolve(string spec, ImageTree tree)
    {
        var colon = spec.IndexOf(':');
        var user = colon < 0 ? spec : spec[..colon];
        var group = colon < 0 ? null : spec[(colon + 1)..];
        uint uid, gid;
        if (uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            gid = group is null ? uid : 0;
        }
        else
        {
            var entry = Lookup(tree.ReadText("/etc/passwd"), user)
                ?? throw BerthException.Invalid($"unable to find user {user}: no matching entries in passwd file");
            uid = uint.Parse(entry[2], CultureInfo.InvariantCulture);
            gid = uint.Parse(entry[3], CultureInfo.InvariantCulture);
        }
        if (group is not null)
        {
            if (!uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out gid))
            {
                var entry = Lookup(tree.ReadText("/etc/group"), group)
                    ?? throw BerthException.Invalid($"unable to find group {group}: no matching entries in group file");
                gid = uint.Parse(entry[2], CultureInfo.InvariantCulture);
            }
        }
        return (uid, gid);
    }

    private static string[]? Lookup(string? file, string name)
    {
        if (file is null) return null;
        foreach (var line in file.Split('\n'))
        {
            var f = line.Split(':');
            if (f.Length >= 4 && f[0] == name) return f;
        }
        return null;
    }
}
