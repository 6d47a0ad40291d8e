using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Berth.Testing;

/// <summary>An image as tests look at it: its config JSON and its flattened file tree, from a docker-archive tar
/// (<c>berth save</c>, <c>docker save</c>; layers plain, gzip or zstd). The tree maps a path to "dir MODE UID:GID", "file MODE UID:GID SIZE SHA256",
/// "symlink UID:GID -&gt; TARGET" (a hard link takes its target's description); layers are applied in order with
/// the OCI whiteout rules (<c>.wh.NAME</c> deletes, <c>.wh..wh..opq</c> empties a directory of lower layers' entries).
/// Two trees compare equal when their <see cref="Listing"/>s do.</summary>
public sealed record SavedImage(JsonNode Config, SortedDictionary<string, string> Tree, IReadOnlyList<string> DiffIds)
{
    /// <summary>Saves <paramref name="image"/> with berth and reads it back.</summary>
    public static SavedImage Of(Berth berth, string image)
    {
        var archive = Path.Combine(Path.GetTempPath(), "berth-saved-" + Guid.NewGuid().ToString("N") + ".tar");
        try
        {
            berth.Ok("save", "-o", archive, image);
            return FromDockerArchive(archive);
        }
        finally
        {
            File.Delete(archive);
        }
    }

    public static SavedImage FromDockerArchive(string archive)
    {
        var files = new Dictionary<string, byte[]>();
        using (var reader = new TarReader(File.OpenRead(archive)))
            while (reader.GetNextEntry() is { } e)
                if (e.DataStream is not null)
                {
                    using var ms = new MemoryStream();
                    e.DataStream.CopyTo(ms);
                    files[Normalize(e.Name)] = ms.ToArray();
                }
        var manifest = JsonNode.Parse(files["manifest.json"])!.AsArray()[0]!;
        var config = JsonNode.Parse(files[Normalize(manifest["Config"]!.GetValue<string>())])!;
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in manifest["Layers"]!.AsArray())
        {
            var bytes = files[Normalize(layer!.GetValue<string>())];
            Apply(tree, Archive.Compressions.Decompress(new MemoryStream(bytes), Archive.Compressions.Detect(bytes)));
        }
        var diffIds = config["rootfs"]!["diff_ids"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();
        return new SavedImage(config, tree, diffIds);
    }

    /// <summary>The tree of a plain tar (a <c>docker export</c>), described as <see cref="Tree"/> is.</summary>
    public static SortedDictionary<string, string> TreeOfTar(string path)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var fs = File.OpenRead(path);
        Apply(tree, fs);
        return tree;
    }

    /// <summary>"path: description" lines, sorted, without <paramref name="ignore"/>d paths and what is under them.</summary>
    public static string Listing(SortedDictionary<string, string> tree, params string[] ignore) =>
        string.Join('\n', tree.Where(kv => !ignore.Any(i => kv.Key == i || kv.Key.StartsWith(i + "/", StringComparison.Ordinal)))
            .Select(kv => $"{kv.Key}: {kv.Value}"));

    private static void Apply(SortedDictionary<string, string> tree, Stream tar)
    {
        var added = new HashSet<string>();
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } e)
        {
            var name = Normalize(e.Name);
            if (name.Length == 0) continue;
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
            // A non-directory replaces a directory and everything under it; a directory over a directory merges.
            if (e.EntryType != TarEntryType.Directory)
                foreach (var k in tree.Keys.Where(k => k.StartsWith(name + "/", StringComparison.Ordinal)).ToList()) tree.Remove(k);
            tree[name] = Describe(e, tree);
            added.Add(name);
        }
    }

    private static string Describe(TarEntry e, SortedDictionary<string, string> tree)
    {
        var owner = $"{e.Uid}:{e.Gid}";
        var mode = Convert.ToString((int)e.Mode & 0xfff, 8);
        return e.EntryType switch
        {
            TarEntryType.Directory => $"dir {mode} {owner}",
            TarEntryType.SymbolicLink => $"symlink {owner} -> {e.LinkName}",
            TarEntryType.HardLink => tree.GetValueOrDefault(Normalize(e.LinkName), "hardlink-to-missing"),
            TarEntryType.RegularFile or TarEntryType.V7RegularFile =>
                $"file {mode} {owner} {e.Length} {(e.DataStream is null ? "empty" : Convert.ToHexStringLower(SHA256.HashData(e.DataStream)))}",
            _ => $"{e.EntryType} {mode} {owner}",
        };
    }

    private static string Normalize(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        name = name.Trim('/');
        return name == "." ? "" : name;
    }

    /// <summary>The SHA-256 of <paramref name="content"/> as a file's description gives it.</summary>
    public static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)));

    /// <summary>The first 12 hex digits of the SHA-256 of <paramref name="content"/>, to find in a file's description.</summary>
    public static string Sha12(string content) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))[..12];
}
