using Berth.Archive;
using Berth.Oci;
using Berth.Storage.Metadata;

namespace Berth.Engine.Builds;

public sealed partial class BuildService
{
    /// <summary>Writes a built image where <paramref name="output"/> says. <paramref name="open"/> opens the
    /// destination stream (the caller owns files and stdout: a file is written beside and renamed into place).</summary>
    public void Export(Digest imageId, IReadOnlyList<string> tags, BuildOutput output, Func<Stream>? open, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (output.Type)
        {
            case "oci" or "docker":
            {
                // The archive berth save writes, named by the build's tags (or by ID when it has none).
                using var stream = (open ?? throw new ArgumentNullException(nameof(open)))();
                images.Save(tags.Count > 0 ? tags : [imageId.ToString()], stream, ct);
                return;
            }
            case "tar":
            {
                using var gate = Store.LockShared(ct);
                var image = images.Resolve(imageId.ToString());
                using var tree = Store.Snapshots.BeginNew();
                Flatten(image, tree.Path, ct);
                using var stream = (open ?? throw new ArgumentNullException(nameof(open)))();
                LayerWriter.WriteDirectory(tree.Path, stream, WriteOptions.Default, ct);
                return;
            }
            case "local":
            {
                using var gate = Store.LockShared(ct);
                Directory.CreateDirectory(output.Destination);
                Flatten(images.Resolve(imageId.ToString()), Path.GetFullPath(output.Destination), ct);
                return;
            }
            default:
                throw new ArgumentException($"unknown output type {output.Type}", nameof(output));
        }
    }

    /// <summary>The image's root filesystem as one tree: its layers applied in order, whiteouts removing what they
    /// hide (the verified blobs are the source, not the snapshot directories).</summary>
    private void Flatten(ImageRecord image, string directory, CancellationToken ct)
    {
        foreach (var layer in image.Layers)
        {
            using var raw = Store.Content.OpenRead(layer.BlobDigest);
            using var plain = Compressions.OpenDecompressed(raw, out _);
            LayerApplier.Apply(plain, directory, new ApplyOptions { Whiteouts = WhiteoutMode.Delete }, ct);
        }
    }
}
