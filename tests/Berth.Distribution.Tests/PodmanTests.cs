using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>podman pulls what berth pushed: same image ID (the config digest) and the manifest digest berth printed.
/// podman keeps a private store (vfs, under the test's directory) and talks plain HTTP to the loopback registry.</summary>
[Collection("registry")]
public sealed class PodmanTests(BusyboxTar busybox)
{
    [Fact]
    public void PodmanPullsWhatBerthPushed()
    {
        HostCapabilities.RequireTool("podman");
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/podman/bb:1";
        using var a = new Installation();
        a.Ok("import", busybox.Path, image);
        string digest = a.Ok("push", image).Split('\n').Single(l => l.StartsWith("1: digest: ", StringComparison.Ordinal)).Split(' ')[2];
        string id = a.Ok("image", "inspect", "--format", "{{.Id}}", image).Trim();

        // podman refuses a run root longer than 50 characters: a short one of its own.
        var store = Directory.CreateTempSubdirectory("bp");
        try
        {
            Pull(store.FullName, image, digest, id);
        }
        finally
        {
            store.Delete(recursive: true);
        }
    }

    private static void Pull(string store, string image, string digest, string id)
    {
        string[] podman = ["--root", Path.Combine(store, "root"), "--runroot", Path.Combine(store, "run"), "--storage-driver", "vfs"];
        var pull = Run.Tool("podman", [.. podman, "pull", "--tls-verify=false", image], timeout: TimeSpan.FromMinutes(2));
        Assert.True(pull.ExitCode == 0, pull.ToString());
        var inspect = Run.Tool("podman", [.. podman, "image", "inspect", "--format", "{{.Id}} {{.Digest}}", image], timeout: TimeSpan.FromMinutes(1));
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Equal($"{id.Replace("sha256:", "")} {digest}", inspect.Stdout.Trim());
    }
}
