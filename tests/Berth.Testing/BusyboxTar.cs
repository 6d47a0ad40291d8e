namespace Berth.Testing;

/// <summary>The busybox root filesystem as a tar, made once for the test run.</summary>
public sealed class BusyboxTar : IDisposable
{
    private readonly TempDirectory _dir = new("berth-busybox-image");

    public BusyboxTar()
    {
        Path = _dir.Combine("busybox.tar");
        if (File.Exists("/bin/busybox") && HostCapabilities.IsRoot)
        {
            var r = Run.Tool(System.IO.Path.Combine(RepoPaths.Root, "scripts", "make-busybox-rootfs"), [Path]);
            if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
        }
    }

    public string Path { get; }

    public void Dispose() => _dir.Dispose();
}
