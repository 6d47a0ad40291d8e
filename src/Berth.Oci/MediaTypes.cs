namespace Berth.Oci;

/// <see href="https://github.com/opencontainers/image-spec/blob/main/media-types.md"/>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public const string OciLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string OciLayerNondistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    public const string OciLayout = "application/vnd.oci.layout.header.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar";

    public static bool IsManifest(string? mt) => mt is OciManifest or DockerManifest;
    public static bool IsIndex(string? mt) => mt is OciIndex or DockerManifestList;
    public static bool IsConfig(string? mt) => mt is OciConfig or DockerConfig;

    public static bool IsLayer(string? mt) => mt is OciLayer or OciLayerGzip or OciLayerZstd or DockerLayer or DockerLayerGzip || IsForeignLayer(mt);

    /// <summary>Foreign (Docker) and non-distributable (OCI) layers: fetched from the descriptor's <c>urls</c>,
    /// never uploaded to a registry.</summary>
    public static bool IsForeignLayer(string? mt) => mt is OciLayerNondistributable or OciLayerNondistributableGzip or OciLayerNondistributableZstd
        or DockerForeignLayerGzip or DockerForeignLayer;
}
