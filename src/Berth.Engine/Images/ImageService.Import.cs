using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    public sealed record ImportOptions
    {
        public string? Reference { get; init; }
        public IReadOnlyList<string> Changes { get; init; } = [];
        public string? Message { get; init; }
        public required string SourceName { get; init; }
        public string? Platform { get; init; }
    }

    /// <summary>What the history says the image was imported from: a URL is named; a file is "-", as docker's,
    /// whose CLI streams the file to dockerd (<c>fromSrc=-</c>). Errors still name the file
    /// (<see cref="ImportOptions.SourceName"/>).</summary>
    private static string HistorySource(string sourceName) =>
        sourceName.StartsWith("http://", StringComparison.Ordinal) || sourceName.StartsWith("https://", StringComparison.Ordinal) ? sourceName : "-";

    /// <summary><c>import</c>: a root filesystem tar (optionally gzip/zstd) becomes a one-layer image, its config
    /// shaped by Dockerfile-style <c>--change</c> instructions, as <c>docker import</c> does.</summary>
    public Digest Import(Stream input, ImportOptions options, CancellationToken ct)
    {
        ImageReference? reference = options.Reference is null ? null : ImageReference.Parse(options.Reference);
        if (reference?.Digest is not null) throw BerthException.Invalid($"import: cannot tag with a digest reference: {options.Reference}");
        if (options.Platform is not (null or "linux/amd64" or "linux/x86_64" or "amd64"))
            throw BerthException.Invalid($"import: platform {options.Platform} is not supported: berth runs linux/amd64");
        var container = ImageChanges.Apply(new ContainerConfig(), options.Changes);
        using var gate = Store.LockShared(ct);
        var layer = Store.IngestLayer(input, null, null, null, $"import {options.SourceName}", ct);
        var now = time.GetUtcNow();
        var config = new ImageConfig
        {
            Created = now,
            Architecture = "amd64",
            Os = "linux",
            Config = container,
            RootFs = new RootFs { DiffIds = [layer.DiffId] },
            History = [new History { Created = now, CreatedBy = "", Comment = options.Message ?? $"Imported from {HistorySource(options.SourceName)}" }],
        };
        var configBytes = OciJson.Serialize(config);
        var manifestBytes = OciJson.Serialize(new Manifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Sha256(configBytes), Size = configBytes.Length },
            Layers = [new Descriptor { MediaType = layer.MediaType, Digest = layer.BlobDigest, Size = layer.BlobSize }],
        });
        try
        {
            var id = Store.CommitImage(new ImageCommit
            {
                ManifestBytes = manifestBytes,
                ManifestMediaType = MediaTypes.OciManifest,
                ConfigBytes = configBytes,
                DiffIds = [layer.DiffId],
                Layers = [layer],
                Created = now,
                Tags = reference is null ? [] : [reference.ToString()],
            }, ct).Id;
            Record("import", id.ToString(), reference?.FamiliarName ?? id.ToString());
            return id;
        }
        finally
        {
            layer.Dispose();
        }
    }
}
