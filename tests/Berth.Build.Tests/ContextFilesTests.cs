using Berth.Build.Cache;
using Berth.Dockerfile.Ignore;
using Berth.Oci.Errors;
using Berth.Storage;
using Berth.Testing;

namespace Berth.Build.Tests;

public sealed class ContextFilesTests : IDisposable
{
    private readonly TempDirectory _dir = new("berth-ctxfiles-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AFileSwappedForALinkAfterHashingIsRefusedNotCopied()
    {
        // The cache key is made from what was hashed; the layer must hold that file, not a link planted afterwards
        // (to the host's files, or to another file of the context).
        var secret = _dir.Sub("host");
        File.WriteAllText(Path.Combine(secret, "passwd"), "host secret\n");
        var ctx = _dir.Sub("ctx");
        Directory.CreateDirectory(Path.Combine(ctx, "data"));
        File.WriteAllText(Path.Combine(ctx, "data", "passwd"), "context\n");
        File.WriteAllText(Path.Combine(ctx, "other"), "other\n");
        using var store = Store.Open(_dir.Sub("root"));
        using var files = new ContextFiles(new FileDigests(store), ctx, DockerIgnore.Empty);

        var entries = files.Walk("data", null, TestContext.Current.CancellationToken);
        var passwd = entries.Single(e => e.RelativePath == "data/passwd");
        using (var same = new StreamReader(files.OpenRead(passwd))) Assert.Equal("context\n", same.ReadToEnd());

        File.Delete(Path.Combine(ctx, "data", "passwd"));
        File.CreateSymbolicLink(Path.Combine(ctx, "data", "passwd"), "/other");
        var e1 = Assert.Throws<BerthException>(() => files.OpenRead(passwd));
        Assert.Equal(ErrorKind.Conflict, e1.Kind);
        Assert.Equal("\"/data/passwd\": changed in the build context during the build", e1.Message);

        Directory.Move(Path.Combine(ctx, "data"), Path.Combine(ctx, "data.orig"));
        File.CreateSymbolicLink(Path.Combine(ctx, "data"), secret);
        Assert.Equal(ErrorKind.Conflict, Assert.Throws<BerthException>(() => files.OpenRead(passwd)).Kind);
        Assert.Empty(files.Walk("data", null, TestContext.Current.CancellationToken));
    }
}
