using Berth.Oci;
using Berth.Storage.Metadata;

namespace Berth.Build;

/// <summary>How the builder finds <c>FROM image</c> and <c>COPY --from=image</c>: by name or ID in the local store
/// (the engine implements it with its image service, which owns reference rules).</summary>
public interface IImageSource
{
    bool TryResolve(string nameOrId, out ImageRecord? image);

    /// <summary>Pulls <paramref name="name"/> from its registry and returns the image; null when the name is not a
    /// reference (an image ID).</summary>
    Task<ImageRecord?> PullAsync(string name, CancellationToken ct);
    ImageConfig ReadConfig(ImageRecord image);
}
