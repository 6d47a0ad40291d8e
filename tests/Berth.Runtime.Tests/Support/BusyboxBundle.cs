using Berth.Runtime.Spec;
using Berth.Testing;

namespace Berth.Runtime.Tests.Support;

/// <summary>An OCI bundle whose rootfs is the host's busybox-static with its applet links, plus passwd/group, and
/// whose config.json is berth's generated spec.</summary>
public sealed class BusyboxBundle : IDisposable
{
    private readonly TempDirectory _dir;

    private BusyboxBundle(TempDirectory dir, string id, RuntimeSpec spec)
    {
        _dir = dir;
        Id = id;
        Spec = spec;
    }

    public string Id { get; }
    public string Path => _dir.Path;
    public string Rootfs => _dir.Combine("rootfs");
    public RuntimeSpec Spec { get; private set; }

    public static BusyboxBundle Create(string id, RunOptions options, Action<string>? customizeRootfs = null)
    {
        var dir = new TempDirectory("berth-bundle");
        var rootfs = dir.Sub("rootfs");
        MakeRootfs(rootfs);
        customizeRootfs?.Invoke(rootfs);
        var spec = SpecGenerator.Generate(id, new Oci.ContainerConfig { Cmd = ["sh"] }, options, SpecHost.Detect(), UserDatabase.Load(rootfs));
        var bundle = new BusyboxBundle(dir, id, spec);
        bundle.Write(spec);
        return bundle;
    }

    /// <summary>Rewrites config.json (for specs the generator would not produce).</summary>
    public void Write(RuntimeSpec spec)
    {
        Spec = spec;
        File.WriteAllBytes(_dir.Combine("config.json"), RuntimeJson.Serialize(spec));
    }

    public static void MakeRootfs(string rootfs)
    {
        foreach (var d in new[] { "bin", "etc", "tmp", "root", "home/user", "proc", "sys", "dev" })
            Directory.CreateDirectory(System.IO.Path.Combine(rootfs, d));
        File.Copy("/bin/busybox", System.IO.Path.Combine(rootfs, "bin", "busybox"));
        var list = Run.Tool("/bin/busybox", ["--list"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var applet in list)
        {
            if (applet == "busybox") continue; // the list names busybox itself; a link would replace the binary
            File.CreateSymbolicLink(System.IO.Path.Combine(rootfs, "bin", applet), "busybox");
        }
        File.WriteAllText(System.IO.Path.Combine(rootfs, "etc", "passwd"),
            "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
        File.WriteAllText(System.IO.Path.Combine(rootfs, "etc", "group"), "root:x:0:\nusers:x:100:user\nuser:x:1000:\nnogroup:x:65534:\n");
    }

    public void Dispose() => _dir.Dispose();
}
