using Berth.Oci;
using Berth.Storage.Metadata;

namespace Berth.Build;

/// <summary>How the builder finds <c>FROM image</c> and <c>COPY --from=image</c>: by name or ID in the local store
/// (the engine implements it with its image service, which owns reference rules).</summary>
public interface IImageSource
{
    bool TryResolve(string nameOrId, out ImageRecord? image);
    ImageConfig ReadConfig(ImageRecord image);
}
