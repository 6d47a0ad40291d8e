using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Build.Tests;

/// <summary>A store with the busybox base image imported once, shared by the build tests (each build uses its own
/// context directory and tags).</summary>
public sealed class BuildFixture : IDisposable
{
    private readonly TempDirectory _dir = new("berth-build-");

    public BuildFixture()
    {
        if (!File.Exists("/bin/busybox") || !Environment.IsPrivilegedProcess || !File.Exists(RepoPaths.BerthBinary)) return;
        BusyboxTar = _dir.Combine("busybox.tar");
        var r = Run.Tool(Path.Combine(RepoPaths.Root, "scripts", "make-busybox-rootfs"), [BusyboxTar]);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
        Berth = new Testing.Berth(_dir.Sub("root"));
        Berth.Ok("import", BusyboxTar, "busybox:latest");
    }

    public string? BusyboxTar { get; }
    public Testing.Berth? Berth { get; }
    public string Root => _dir.Path;

    public Testing.Berth Require()
    {
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(File.Exists("/bin/busybox"), "needs /bin/busybox (apt-get install busybox-static)");
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        return Berth!;
    }

    /// <summary>A new context directory with the given files (relative path → content).</summary>
    public string Context(params (string Path, string Content)[] files)
    {
        var dir = _dir.Sub("ctx-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (p, c) in files)
        {
            var full = Path.Combine(dir, p);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, c);
        }
        return dir;
    }

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition("build")]
public sealed class BuildCollection : ICollectionFixture<BuildFixture>;

/// <summary>An image as the tests look at it: its config JSON and its flattened tree (path → "type mode uid:gid
/// size sha|-> target"), from <c>berth save</c>.</summary>
public sealed record SavedImage(JsonNode Config, SortedDictionary<string, string> Tree, IReadOnlyList<string> DiffIds)
{
    public static SavedImage Of(Testing.Berth berth, string image)
    {
        var archive = Path.Combine(Path.GetTempPath(), "berth-build-test-" + Guid.NewGuid().ToString("N") + ".tar");
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
                    files[e.Name.TrimStart('.', '/')] = ms.ToArray();
                }
        var manifest = JsonNode.Parse(files["manifest.json"])!.AsArray()[0]!;
        var config = JsonNode.Parse(files[manifest["Config"]!.GetValue<string>()])!;
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in manifest["Layers"]!.AsArray())
        {
            Stream s = new MemoryStream(files[layer!.GetValue<string>()]);
            Apply(tree, s);
        }
        var diffIds = config["rootfs"]!["diff_ids"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();
        return new SavedImage(config, tree, diffIds);
    }

    private static void Apply(SortedDictionary<string, string> tree, Stream tar)
    {
        using var reader = new TarReader(tar);
        var added = new HashSet<string>();
        while (reader.GetNextEntry() is { } e)
        {
            var name = e.Name.TrimStart('.').Trim('/');
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
            if (e.EntryType != TarEntryType.Directory)
                foreach (var k in tree.Keys.Where(k => k.StartsWith(name + "/", StringComparison.Ordinal)).ToList()) tree.Remove(k);
            string mode = Convert.ToString((int)e.Mode & 0xfff, 8);
            tree[name] = e.EntryType switch
            {
                TarEntryType.Directory => $"dir {mode} {e.Uid}:{e.Gid}",
                TarEntryType.SymbolicLink => $"symlink {e.Uid}:{e.Gid} -> {e.LinkName}",
                TarEntryType.RegularFile or TarEntryType.V7RegularFile =>
                    $"file {mode} {e.Uid}:{e.Gid} {e.Length} {(e.DataStream is null ? "empty" : Convert.ToHexStringLower(SHA256.HashData(e.DataStream))[..12])}",
                TarEntryType.HardLink => tree.GetValueOrDefault(e.LinkName.TrimStart('.').Trim('/'), "hardlink"),
                _ => $"{e.EntryType} {mode} {e.Uid}:{e.Gid}",
            };
            added.Add(name);
        }
    }

    public static string Sha12(string content) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))[..12];
}
