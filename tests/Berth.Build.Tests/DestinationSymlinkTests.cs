using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

/// <summary>COPY/ADD destinations and WORKDIR are resolved inside the image's root filesystem, through the links
/// earlier steps made (issue 9), as docker does: the links stay links, the files land where they point, and an
/// absolute target or a ".." counts from the image root.</summary>
[Collection("build")]
public sealed class DestinationSymlinkTests(BuildFixture f)
{
    [Fact]
    public void CopyAndWorkdirFollowTheImagesSymlinksInsideTheImage()
    {
        // `RUN ln -s /a /lnk` then `COPY file /lnk/` must write /a/file and keep /lnk a link (docker does); replacing
        // the link with a directory breaks every image that links its app directory.
        var berth = f.Require();
        var ctx = f.Context(("one.txt", "1"), ("two.txt", "2"), ("src/a.txt", "a"), ("src/sub/b.txt", "b"),
            ("Dockerfile", "FROM busybox\n" + DockerDifferentialTests.SymlinkedDestinations));
        var tag = Tag("destlinks");
        BuildOk(berth, "-t", tag, ctx);
        var image = SavedImage.Of(berth, tag);
        var t = image.Tree;
        var one = $"file 644 0:0 1 {SavedImage.Sha256("1")}";
        Assert.Equal("symlink 0:0 -> /a", t["lnk"]);
        Assert.Equal("symlink 0:0 -> /lnk", t["chain"]);
        Assert.Equal("symlink 0:0 -> /missing", t["dang"]);
        Assert.Equal("symlink 0:0 -> ../b", t["rel"]);
        Assert.Equal("symlink 0:0 -> /f", t["flink"]);
        Assert.Equal("symlink 0:0 -> /dangdir/sub", t["dang2"]);
        Assert.Equal("symlink 0:0 -> /wd", t["wdl"]);
        Assert.Equal(one, t["a/one.txt"]);
        Assert.Equal(one, t["a/viachain"]);
        Assert.Equal(one, t["missing/one.txt"]);
        Assert.Equal(one, t["b/c/one.txt"]);
        Assert.Equal(one, t["f"]);
        Assert.Equal(one, t["a/relafile"]);
        Assert.Equal(one, t["a/upafile"]);
        Assert.Equal($"file 644 0:0 1 {SavedImage.Sha256("a")}", t["a/dircopy/a.txt"]);
        Assert.Equal($"file 644 0:0 1 {SavedImage.Sha256("b")}", t["a/dircopy/sub/b.txt"]);
        Assert.Equal(one, t["a/many/one.txt"]);
        Assert.Equal(one, t["dangdir/sub"]);
        Assert.StartsWith("dir 755 0:0", t["wd"]);
        Assert.StartsWith("file", t["a/sub/here"]);
        Assert.Equal("/lnk/sub", image.Config["config"]!["WorkingDir"]!.GetValue<string>());
    }

    [Fact]
    public void ADestinationLinkNeverLeadsOutOfTheImage()
    {
        // A link whose target climbs with ".." or names a host path is still inside the image: the copy must not
        // touch the host.
        var berth = f.Require();
        using var host = new TempDirectory("berth-host-dest-");
        var ctx = f.Context(("one.txt", "1"), ("Dockerfile", $"""
            FROM busybox
            RUN ln -s ../../../../../../../../..{host.Path} /up && ln -s {host.Path} /abs
            COPY one.txt /up/
            COPY one.txt /abs/other
            """));
        var tag = Tag("destout");
        BuildOk(berth, "-t", tag, ctx);
        Assert.Empty(Directory.EnumerateFileSystemEntries(host.Path));
        var t = SavedImage.Of(berth, tag).Tree;
        Assert.Equal($"file 644 0:0 1 {SavedImage.Sha256("1")}", t[host.Path.TrimStart('/') + "/one.txt"]);
        Assert.Equal($"file 644 0:0 1 {SavedImage.Sha256("1")}", t[host.Path.TrimStart('/') + "/other"]);
    }
}
