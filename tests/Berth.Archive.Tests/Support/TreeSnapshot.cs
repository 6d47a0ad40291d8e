using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Berth.Archive.Interop;
using Berth.Interop;

namespace Berth.Archive.Tests.Support;

/// <summary>A comparable picture of a tree: per path its type, mode, owner, content hash, link target, device
/// numbers, xattrs and (optionally) mtime seconds, plus the groups of hard-linked names.</summary>
internal static class TreeSnapshot
{
    public static SortedDictionary<string, string> Capture(string root, bool mtimes = true, Func<string, bool>? skipXattr = null)
    {
        SortedDictionary<string, string> result = new(StringComparer.Ordinal);
        Dictionary<ulong, List<string>> inodes = [];
        Walk(root, "", result, inodes, mtimes, skipXattr ?? (static k => k == "security.selinux"));
        int group = 0;
        foreach (List<string> names in inodes.Values.Where(static v => v.Count > 1).OrderBy(static v => v.Min(), StringComparer.Ordinal))
        {
            names.Sort(StringComparer.Ordinal);
            result[$"#links{group++}"] = string.Join(" = ", names);
        }

        return result;
    }

    private static void Walk(string dir, string rel, SortedDictionary<string, string> result,
        Dictionary<ulong, List<string>> inodes, bool mtimes, Func<string, bool> skipXattr)
    {
        foreach (string full in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            string name = rel + Path.GetFileName(full);
            FileStatus st = Native.Lstat(full);
            StringBuilder d = new();
            char type = st.Type switch
            {
                Libc.S_IFDIR => 'd',
                Libc.S_IFREG => '-',
                Libc.S_IFLNK => 'l',
                Libc.S_IFCHR => 'c',
                Libc.S_IFBLK => 'b',
                Libc.S_IFIFO => 'p',
                _ => '?',
            };
            d.Append(type).Append(' ').Append(Convert.ToString(st.Mode & 0xFFF, 8)).Append(' ')
                .Append(st.Uid).Append(':').Append(st.Gid);
            if (st.IsRegular)
            {
                d.Append(" size=").Append(st.Size).Append(" sha256=")
                    .Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(full)))[..16]);
            }

            if (st.IsSymlink) d.Append(" -> ").Append(new FileInfo(full).LinkTarget);
            if (type is 'c' or 'b') d.Append(" rdev=").Append(st.RdevMajor).Append(',').Append(st.RdevMinor);
            if (mtimes && !st.IsSymlink) d.Append(" mtime=").Append(st.MtimeSeconds.ToString(CultureInfo.InvariantCulture));
            foreach ((string key, byte[] value) in Native.Xattrs(full))
            {
                if (!skipXattr(key)) d.Append(' ').Append(key).Append('=').Append(Encoding.UTF8.GetString(value));
            }

            result[name] = d.ToString();
            if (!st.IsDirectory && st.Nlink > 1)
            {
                if (!inodes.TryGetValue(st.Inode, out List<string>? names)) inodes[st.Inode] = names = [];
                names.Add(name);
            }

            if (st.IsDirectory) Walk(full, name + "/", result, inodes, mtimes, skipXattr);
        }
    }

    public static void AssertEqual(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual)
    {
        List<string> problems = [];
        foreach ((string path, string e) in expected)
        {
            if (!actual.TryGetValue(path, out string? a)) problems.Add($"missing {path}: {e}");
            else if (a != e) problems.Add($"differs {path}:\n   expected {e}\n   actual   {a}");
        }

        foreach ((string path, string a) in actual)
        {
            if (!expected.ContainsKey(path)) problems.Add($"extra {path}: {a}");
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
