using Berth.Archive;
using Berth.Engine.Images;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary><c>commit</c>'s options: the new image's name, Dockerfile-style changes to its config, the history
/// comment and author, and whether a running container is paused while its files are read (docker's default).</summary>
public sealed record CommitRequest
{
    public string? Reference { get; init; }
    public IReadOnlyList<string> Changes { get; init; } = [];
    public string? Message { get; init; }
    public string? Author { get; init; }
    public bool Pause { get; init; } = true;
}

public sealed partial class ContainerService
{
    /// <summary>The stubs berth creates in every container's upper dir as mount points for its own files: not
    /// the container's content, and left out of a committed layer (docker keeps them in its init layer).</summary>
    private static readonly string[] MountStubs = ["etc/hostname", "etc/hosts", "etc/resolv.conf", "dev/console"];

    /// <summary><c>commit</c>: a new image of the container's image layers plus one layer made of its upper dir
    /// (whiteouts as <c>.wh.</c> entries), its config the container's (command, entrypoint, env, user, working
    /// dir, labels, stop signal) with <see cref="CommitRequest.Changes"/> applied, and a history entry naming the
    /// container's command with the message. Returns the new image's ID.</summary>
    public Digest Commit(ContainerRow row, CommitRequest request, CancellationToken ct)
    {
        ImageReference? reference = request.Reference is { Length: > 0 } r ? ImageReference.Parse(r) : null;
        if (reference?.Digest is not null) throw BerthException.Invalid($"refusing to create a tag with a digest reference: {request.Reference}");
        row = Reconcile(row);
        if (!Images.TryResolve(row.ImageId, out var parent))
            throw BerthException.NotFound($"the image {row.ImageId} of container {row.Name} is gone");
        var parentConfig = Images.ReadConfig(parent!);
        var stored = ConfigOf(row);
        var container = ImageChanges.Apply((parentConfig.Config ?? new ContainerConfig()) with
        {
            Cmd = stored.Cmd,
            Entrypoint = stored.Entrypoint,
            Env = stored.ConfigEnv ?? stored.Env.Where(e => !e.StartsWith("HOSTNAME=", StringComparison.Ordinal)).ToList(),
            User = stored.User is { Length: > 0 } u ? u : null,
            WorkingDir = stored.Cwd is { Length: > 0 } and not "/" ? stored.Cwd : parentConfig.Config?.WorkingDir,
            Labels = stored.Labels.Count > 0 ? stored.Labels : null,
            StopSignal = stored.StopSignal ?? parentConfig.Config?.StopSignal,
        }, request.Changes);

        using var gate = Store.LockShared(ct);
        var pause = request.Pause && row.Status == "running" && !IsPaused(row);
        if (pause) Runtime.Pause(row.Id);
        PendingLayer layer;
        try
        {
            layer = NewLayer(Path.Combine(DirOf(row.Id), "upper"), stored.LowerDirs, ct);
        }
        finally
        {
            if (pause) Runtime.Resume(row.Id);
        }
        using (layer)
        {
            var now = Time.GetUtcNow();
            var config = parentConfig with
            {
                Created = now,
                Author = request.Author is { Length: > 0 } a ? a : null,
                Config = container,
                RootFs = new RootFs { DiffIds = [.. parentConfig.RootFs.DiffIds, layer.DiffId] },
                History = [.. parentConfig.History ?? [], new History
                {
                    Created = now,
                    Author = request.Author is { Length: > 0 } ha ? ha : null,
                    CreatedBy = string.Join(' ', stored.Args),
                    Comment = request.Message is { Length: > 0 } m ? m : null,
                }],
            };
            var configBytes = OciJson.Serialize(config);
            var parentLayers = parent!.Layers.Select(l => new PendingLayer(null, null, l.BlobDigest, l.BlobSize, l.MediaType, l.DiffId, 0, 0)).ToList();
            var manifestBytes = OciJson.Serialize(new Manifest
            {
                MediaType = MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Sha256(configBytes), Size = configBytes.Length },
                Layers = [.. parentLayers.Select(l => new Descriptor { MediaType = l.MediaType, Digest = l.BlobDigest, Size = l.BlobSize }),
                          new Descriptor { MediaType = layer.MediaType, Digest = layer.BlobDigest, Size = layer.BlobSize }],
            });
            var image = Store.CommitImage(new ImageCommit
            {
                ManifestBytes = manifestBytes,
                ManifestMediaType = MediaTypes.OciManifest,
                ConfigBytes = configBytes,
                DiffIds = config.RootFs.DiffIds,
                Layers = [.. parentLayers, layer],
                Created = now,
                Tags = reference is null ? [] : [reference.ToString()],
            }, ct);
            Record(row, "commit", ("comment", request.Message ?? ""));
            return image.Id;
        }
    }

    /// <summary>The upper dir as a new layer directory of the store: copied through a tar (owners, modes, xattrs,
    /// whiteouts kept; nothing of the container's upper is ever shared with the image), without berth's mount
    /// stubs, then sealed into a layer blob.</summary>
    private PendingLayer NewLayer(string upper, IReadOnlyList<string> lowers, CancellationToken ct)
    {
        var pending = Store.BeginLayerDirectory();
        try
        {
            var spool = Path.Combine(Path.GetDirectoryName(pending.Path)!, Path.GetFileName(pending.Path) + ".tar");
            try
            {
                using (var tar = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose))
                {
                    LayerWriter.WriteDirectory(upper, tar, new WriteOptions { OverlayUpper = true }, ct);
                    tar.Position = 0;
                    LayerApplier.Apply(tar, pending.Path, ApplyOptions.Default, ct);
                }
            }
            finally
            {
                File.Delete(spool);
            }
            foreach (var stub in MountStubs) RemoveStub(pending.Path, stub, lowers);
            return Store.SealLayerDirectory(pending, new WriteOptions { OverlayUpper = true }, ct);
        }
        catch
        {
            pending.Dispose();
            throw;
        }
    }

    /// <summary>Removes an empty file that only a mount point put there: none of its parents may be a symlink (the
    /// path is the container's to shape), and no image layer may have the file.</summary>
    private static void RemoveStub(string root, string stub, IReadOnlyList<string> lowers)
    {
        var path = root;
        foreach (var part in stub.Split('/'))
        {
            path = Path.Combine(path, part);
            var info = new FileInfo(path);
            if (!info.Exists && !Directory.Exists(path)) return;
            if (info.LinkTarget is not null) return;
        }
        var file = new FileInfo(path);
        if (!file.Exists || file.Length != 0) return;
        foreach (var lower in lowers)
        {
            using var tree = RootedTree.Open(lower);
            using var found = tree.Find(stub, followFinal: false);
            if (found is not null) return;
        }
        file.Delete();
    }
}
