using System.Globalization;
using Berth.Oci.Errors;
using Berth.Runtime.Interop;
using Berth.Runtime.Rootfs;
using Berth.Interop;

namespace Berth.Runtime.Spec;

/// <summary>An image's /etc/passwd and /etc/group, read from the host side through the root descriptor (never
/// through NSS inside the image: P3), and the <c>-u</c>/<c>USER</c> resolution Docker does with them.</summary>
public sealed record UserDatabase
{
    public string? Passwd { get; init; }
    public string? Group { get; init; }

    public static UserDatabase Empty { get; } = new();

    /// <summary>Reads /etc/passwd and /etc/group of a root filesystem, resolving both inside it.</summary>
    public static UserDatabase Load(string rootfs)
    {
        using var root = PathInRoot.OpenRoot(rootfs);
        return new UserDatabase { Passwd = ReadInRoot(root, "/etc/passwd"), Group = ReadInRoot(root, "/etc/group") };
    }

    private static string? ReadInRoot(SafeFdHandle root, string path)
    {
        try
        {
            using var fd = PathInRoot.Open(root, path, Libc.O_RDONLY);
            using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd.DangerousGetHandle(), ownsHandle: false), FileAccess.Read);
            using var reader = new StreamReader(stream);
            // A passwd file larger than this is not a passwd file; do not let an image make us read gigabytes.
            // (Read in small blocks: a buffer of the limit's size would be a large-object allocation, and a GC, per file.)
            const int Limit = 4 << 20;
            var text = new System.Text.StringBuilder();
            var buffer = new char[16 * 1024];
            int n;
            while (text.Length < Limit && (n = reader.ReadBlock(buffer, 0, Math.Min(buffer.Length, Limit - text.Length))) > 0)
                text.Append(buffer, 0, n);
            return text.ToString();
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return null;
        }
    }

    /// <summary>Resolves "name|uid[:group|gid]" the way Docker (runc's GetExecUser) does.</summary>
    public UserSpec Resolve(string? user, IReadOnlyList<string>? groupAdd = null)
    {
        var spec = string.IsNullOrEmpty(user) ? "0" : user;
        var colon = spec.IndexOf(':');
        var userPart = colon < 0 ? spec : spec[..colon];
        var groupPart = colon < 0 ? null : spec[(colon + 1)..];
        if (userPart.Length == 0) throw BerthException.Invalid($"invalid user \"{user}\"");

        var users = ParsePasswd();
        PasswdEntry? entry;
        uint uid;
        if (TryNumber(userPart, out uid))
        {
            entry = users.FirstOrDefault(u => u.Uid == uid);
        }
        else
        {
            entry = users.FirstOrDefault(u => u.Name == userPart)
                ?? throw BerthException.Invalid($"unable to find user {userPart}: no matching entries in passwd file");
            uid = entry.Uid;
        }

        var groups = ParseGroup();
        uint gid = entry?.Gid ?? 0;
        if (groupPart is not null)
        {
            if (groupPart.Length == 0) throw BerthException.Invalid($"invalid user \"{user}\"");
            if (!TryNumber(groupPart, out gid))
            {
                gid = groups.FirstOrDefault(g => g.Name == groupPart)?.Gid
                    ?? throw BerthException.Invalid($"unable to find group {groupPart}: no matching entries in group file");
            }
        }

        // Supplementary groups: the primary gid always (CVE-2022-36109: a missing primary group in the list lets
        // negative group permissions be bypassed), those listing the user when no group was given, and --group-add.
        var additional = new List<uint> { gid };
        if (groupPart is null && entry is not null)
        {
            foreach (var g in groups)
                if (g.Members.Contains(entry.Name) && !additional.Contains(g.Gid)) additional.Add(g.Gid);
        }
        foreach (var extra in groupAdd ?? [])
        {
            uint g;
            if (!TryNumber(extra, out g))
            {
                g = groups.FirstOrDefault(x => x.Name == extra)?.Gid
                    ?? throw BerthException.Invalid($"unable to find group {extra}: no matching entries in group file");
            }
            if (!additional.Contains(g)) additional.Add(g);
        }

        return new UserSpec { Uid = uid, Gid = gid, AdditionalGids = additional, Username = entry?.Name };
    }

    /// <summary>The home directory of a uid, for HOME; "/" when unknown (Docker's default).</summary>
    public string HomeOf(uint uid) => ParsePasswd().FirstOrDefault(u => u.Uid == uid)?.Home is { Length: > 0 } h ? h : "/";

    private sealed record PasswdEntry(string Name, uint Uid, uint Gid, string Home);

    private sealed record GroupEntry(string Name, uint Gid, string[] Members);

    private List<PasswdEntry> ParsePasswd()
    {
        var list = new List<PasswdEntry>();
        foreach (var line in Lines(Passwd))
        {
            var f = line.Split(':');
            if (f.Length < 4 || !TryNumber(f[2], out var uid) || !TryNumber(f[3], out var gid)) continue;
            list.Add(new PasswdEntry(f[0], uid, gid, f.Length > 5 ? f[5] : "/"));
        }
        return list;
    }

    private List<GroupEntry> ParseGroup()
    {
        var list = new List<GroupEntry>();
        foreach (var line in Lines(Group))
        {
            var f = line.Split(':');
            if (f.Length < 3 || !TryNumber(f[2], out var gid)) continue;
            var members = f.Length > 3 ? f[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            list.Add(new GroupEntry(f[0], gid, members));
        }
        return list;
    }

    private static IEnumerable<string> Lines(string? text) =>
        (text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith('#'));

    private static bool TryNumber(string s, out uint value) =>
        uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
