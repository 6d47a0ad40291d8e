using Berth.Archive;

namespace Berth.Engine.Builds;

public sealed partial class BuildService
{
    /// <summary>Unpacks a build context sent as an archive (the Engine API's <c>POST /build</c> body: tar, or tar
    /// compressed with gzip, bzip2… as <c>docker build -</c> takes it) into <paramref name="directory"/>, safely: no
    /// entry lands outside it, whatever its path or links say. As a layer,
    /// whiteout entries delete what they name.</summary>
    public static void UnpackContext(Stream archive, string directory, CancellationToken ct)
    {
        using var plain = Compressions.OpenDecompressed(archive, out _, leaveOpen: true);
        LayerApplier.Apply(plain, directory, new ApplyOptions { Whiteouts = WhiteoutMode.Delete }, ct);
    }
}
