using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Berth.IntegrationTests;

/// <summary>A flattened file tree as a sorted listing (path, type, mode, owner, content hash, link target), built
/// from a plain tar or by applying an image's layers in order with OCI whiteout rules: two trees compare equal
/// when their listings do.</summary>
public static class TreeListing
{
    public static string FromTar(string path, string[] ignore)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var fs = File.OpenRead(path);
        Apply(tree, fs);
        return Render(tree, ignore);
    }

    /// <summary>Saves the image with berth and merges its layers.</summary>
    public static string FromLayers(Testing.Berth berth, string image, string[] ignore)
    {
        var archive = Path.Combine(Path.GetTempPath(), "berth-tree-" + Guid.NewGuid().ToString("N") + ".tar");
        try
        {
            berth.Ok("save", "-o", archive, image);
            var files = new Dictionary<string, byte[]>();
            using (var reader = new TarReader(File.OpenRead(archive)))
                while (reader.GetNextEntry() is { } e)
                    if (e.DataStream is not null)
                    {
                        using var ms = new MemoryStream();
                        e.DataStream.CopyTo(ms);
                        files[e.Name] = ms.ToArray();
                    }
            var manifest = JsonNode.Parse(files["manifest.json"])!.AsArray()[0]!;
            var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var layer in manifest["Layers"]!.AsArray())
            {
                var bytes = files[layer!.GetValue<string>()];
                var s = Berth.Archive.Compressions.Decompress(new MemoryStream(bytes), Berth.Archive.Compressions.Detect(bytes));
                Apply(tree, s);
            }
            return Render(tree, ignore);
        }
        finally
        {
            File.Delete(archive);
        }
    }

    private static void Apply(SortedDictionary<string, string> tree, Stream tar)
    {
        var added = new HashSet<string>();
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } e)
        {
            var name = Normalize(e.Name);
            if (name.Length == 0) { tree[""] = Describe(e, tree); continue; }
            var dir = name.Contains('/') ? name[..name.LastIndexOf('/')] : "";
            var baseName = name[(name.LastIndexOf('/') + 1)..];
            if (baseName == ".wh..wh..opq")
            {
                foreach (var k in tree.Keys.Where(k => k.StartsWith(dir + "/", StringComparison.Ordinal) && !added.Contains(k)).ToList()) tree.Remove(k);
                continue;
            }
            if (baseName.StartsWith(".wh.", StringComparison.Ordinal))
            {
                var victim = (dir.Length == 0 ? "" : dir + "/") + baseName[4..];
                foreach (var k in tree.Keys.Where(k => k == victim || k.StartsWith(victim + "/", StringComparison.Ordinal)).ToList()) tree.Remove(k);
                continue;
            }
            if (e.EntryType != TarEntryType.Directory || !tree.ContainsKey(name) || !tree[name].StartsWith("dir", StringComparison.Ordinal))
                foreach (var k in tree.Keys.Where(k => k.StartsWith(name + "/", StringComparison.Ordinal)).ToList())
                    if (e.EntryType != TarEntryType.Directory) tree.Remove(k);
            tree[name] = Describe(e, tree);
            added.Add(name);
        }
    }

    private static string Describe(TarEntry e, SortedDictionary<string, string> tree)
    {
        string owner = $"{e.Uid}:{e.Gid}";
        string mode = Convert.ToString((int)e.Mode & 0xfff, 8);
        switch (e.EntryType)
        {
            case TarEntryType.Directory: return $"dir {mode} {owner}";
            case TarEntryType.SymbolicLink: return $"symlink {owner} -> {e.LinkName}";
            case TarEntryType.HardLink: return tree.GetValueOrDefault(Normalize(e.LinkName), "hardlink-to-missing");
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                using (var sha = SHA256.Create())
                {
                    var hash = e.DataStream is null ? "empty" : Convert.ToHexStringLower(sha.ComputeHash(e.DataStream));
                    return $"file {mode} {owner} {e.Length} {hash}";
                }
            default: return $"{e.EntryType} {mode} {owner}";
        }
    }

    private static string Normalize(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        name = name.Trim('/');
        return name == "." ? "" : name;
    }

    private static string Render(SortedDictionary<string, string> tree, string[] ignore) =>
        string.Join('\n', tree.Where(kv => kv.Key.Length > 0 && !ignore.Any(i => kv.Key == i || kv.Key.StartsWith(i + "/", StringComparison.Ordinal)))
            .Select(kv => $"{kv.Key}: {kv.Value}"));
}
