using System.CommandLine;
using Berth.Engine.Containers;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Cli.Commands;

/// <summary><c>cp</c>: docker/cli's cp.go over the engine's archive calls (<see cref="ContainerService.StatPath"/>,
/// <see cref="ContainerService.GetArchive"/>, <see cref="ContainerService.PutArchive"/>), with docker's path rules
/// (<see cref="ContainerCopy"/>): <c>CONTAINER:SRC_PATH DEST_PATH|-</c> or <c>SRC_PATH|- CONTAINER:DEST_PATH</c>.</summary>
internal static class CopyCommand
{
    public static Command Create()
    {
        var archive = new Option<bool>("--archive", "-a") { Description = "Archive mode (copy all uid/gid information)" };
        var followLink = new Option<bool>("--follow-link", "-L") { Description = "Always follow symbol link in SRC_PATH" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached" };
        var source = new Argument<string>("SRC");
        var destination = new Argument<string>("DEST");
        var c = new Command("cp", "Copy files/folders between a container and the local filesystem")
        {
            archive, followLink, quiet, source, destination,
        };
        CliContext.Bind((ctx, p, ct) =>
        {
            var (src, dst) = (p.GetValue(source)!, p.GetValue(destination)!);
            if (src.Length == 0) throw BerthException.Invalid("source can not be empty");
            if (dst.Length == 0) throw BerthException.Invalid("destination can not be empty");
            var (srcContainer, srcPath) = Split(src);
            var (dstContainer, dstPath) = Split(dst);
            var follow = p.GetValue(followLink);
            return (srcContainer, dstContainer) switch
            {
                ({ } from, null) => FromContainer(ctx.Containers, from, srcPath, dstPath, follow, ct),
                (null, { } to) => ToContainer(ctx.Containers, to, srcPath, dstPath, follow, p.GetValue(archive), ct),
                (not null, not null) => throw BerthException.Invalid("copying between containers is not supported"),
                _ => throw BerthException.Invalid("must specify at least one container source"),
            };
        })(c);
        return c;
    }

    /// <summary>docker's splitCpArg: an absolute path, a path starting with "." or one without ':' is local.</summary>
    private static (string? Container, string Path) Split(string arg)
    {
        if (arg.StartsWith('/')) return (null, arg);
        var colon = arg.IndexOf(':');
        if (colon < 0 || arg.StartsWith('.')) return (null, arg);
        return (arg[..colon], arg[(colon + 1)..]);
    }

    private static int FromContainer(ContainerService service, string name, string srcPath, string dstPath, bool followLink, CancellationToken ct)
    {
        var row = service.Resolve(name);
        var rebase = "";
        if (followLink && TryStat(service, row, srcPath) is { IsSymlink: true } link)
        {
            var target = link.LinkTarget.StartsWith('/') ? link.LinkTarget : ContainerCopy.Clean(ContainerCopy.SplitPathDirEntry(srcPath).Dir + "/" + link.LinkTarget);
            (srcPath, rebase) = ContainerCopy.GetRebaseName(srcPath, target);
        }
        if (dstPath == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            service.GetArchive(row, srcPath, stdout, ct);
            return 0;
        }
        var srcStat = service.StatPath(row, srcPath);
        var dstInfo = ContainerCopy.HostDestination(ContainerCopy.AbsoluteKeepingTrailing(dstPath));
        var srcInfo = new CopyInfo { Path = srcPath, Exists = true, IsDir = srcStat.IsDirectory, RebaseName = rebase };
        var (dir, rename) = ContainerCopy.PrepareArchiveCopy(srcInfo, dstInfo);
        // The archive is extracted as it is written: a pipe between the engine and the extraction.
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out, HandleInheritability.None);
        using var reader = new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.In, pipe.ClientSafePipeHandle);
        var writing = Task.Run(() =>
        {
            try
            {
                service.GetArchive(row, srcPath, pipe, ct);
            }
            finally
            {
                pipe.Dispose();
            }
        }, ct);
        Stream content = reader;
        if (rebase.Length > 0) content = ContainerCopy.Rebase(content, ContainerCopy.SplitPathDirEntry(srcPath).Base, rebase, ct);
        if (rename is { } r) content = ContainerCopy.Rebase(content, r.Old, r.New, ct);
        try
        {
            using (content) ContainerCopy.ExtractToHost(content, dir, ct);
        }
        catch (Exception) when (writing.IsFaulted)
        {
            // The engine's reason (the container stopped, a file vanished) is the one to tell.
        }
        writing.GetAwaiter().GetResult();
        return 0;
    }

    private static int ToContainer(ContainerService service, string name, string srcPath, string dstPath, bool followLink, bool copyUidGid, CancellationToken ct)
    {
        var row = service.Resolve(name);
        var dstInfo = new CopyInfo { Path = dstPath };
        var dstStat = TryStat(service, row, dstPath);
        if (dstStat is { IsSymlink: true })
        {
            var target = dstStat.LinkTarget.StartsWith('/') ? dstStat.LinkTarget : ContainerCopy.Clean(ContainerCopy.SplitPathDirEntry(dstPath).Dir + "/" + dstStat.LinkTarget);
            dstInfo = dstInfo with { Path = target };
            dstStat = TryStat(service, row, target);
        }
        if (dstStat is not null && !dstStat.IsDirectory && !dstStat.IsRegular)
            throw BerthException.Invalid($"destination \"{name}:{dstPath}\" must be a directory or a regular file");
        if (dstStat is not null) dstInfo = dstInfo with { Exists = true, IsDir = dstStat.IsDirectory };

        if (srcPath == "-")
        {
            if (!dstInfo.IsDir) throw BerthException.Invalid($"destination \"{name}:{dstPath}\" must be a directory");
            using var stdin = Console.OpenStandardInput();
            service.PutArchive(row, dstInfo.Path, stdin, copyUidGid, ct);
            return 0;
        }
        var srcInfo = ContainerCopy.HostSource(ContainerCopy.AbsoluteKeepingTrailing(srcPath), followLink);
        var (dir, rename) = ContainerCopy.PrepareArchiveCopy(srcInfo, dstInfo);
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out, HandleInheritability.None);
        using var reader = new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.In, pipe.ClientSafePipeHandle);
        var writing = Task.Run(() =>
        {
            try
            {
                ContainerCopy.WriteHostArchive(srcInfo, pipe, ct);
            }
            finally
            {
                pipe.Dispose();
            }
        }, ct);
        Stream content = reader;
        if (rename is { } r) content = ContainerCopy.Rebase(content, r.Old, r.New, ct);
        using (content) service.PutArchive(row, dir, content, copyUidGid, ct);
        writing.GetAwaiter().GetResult();
        return 0;
    }

    private static ContainerPathStat? TryStat(ContainerService service, ContainerRow row, string path)
    {
        try
        {
            return service.StatPath(row, path);
        }
        catch (BerthException e) when (e.Kind == ErrorKind.NotFound)
        {
            return null;
        }
    }
}
