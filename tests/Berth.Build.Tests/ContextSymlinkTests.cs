using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

/// <summary>Symlinks in the build context are resolved inside the context, never on the host (issue 14, defect 1):
/// as BuildKit, an absolute target counts from the context root and ".." stops there. Each case has a secret file on
/// the host, outside the context, that must not reach the image.</summary>
[Collection("build")]
public sealed class ContextSymlinkTests(BuildFixture f) : IDisposable
{
    private readonly TempDirectory _host = new("berth-host-secret-");
    private const string Secret = "host secret, must never be in an image\n";

    private string SecretDir
    {
        get
        {
            var dir = _host.Sub("etc");
            File.WriteAllText(Path.Combine(dir, "passwd"), Secret);
            File.WriteAllText(Path.Combine(dir, "hostname"), Secret);
            return dir;
        }
    }

    public void Dispose() => _host.Dispose();

    /// <summary>(name, links to make in the context: name → target, the Dockerfile line, the source docker names as
    /// not found). <c>{S}</c> is the host directory holding the secret files.</summary>
    public static TheoryData<string, string, string, string> Escapes => new()
    {
        { "dir link", "etcl={S}", "COPY etcl /x", "etcl" },
        { "file link", "link={S}/passwd", "COPY link /x", "link" },
        { "through a dir link", "etcl={S}", "COPY etcl/passwd /x", "etcl/passwd" },
        { "glob over a file link", "link1={S}/passwd", "COPY link* /d/", "link1" },
        { "ADD through a dir link", "etcl={S}", "ADD etcl/hostname /x", "etcl/hostname" },
        { "dot-dot link", "up=../../../../../../../../../..", "COPY up{S}/hostname /x", "up{S}/hostname" },
        { "relative link out", "rel=../../../../../../../../../..{S}/passwd", "COPY rel /x", "rel" },
    };

    [Theory]
    [MemberData(nameof(Escapes))]
    public void ASymlinkLeadingOutOfTheContextIsNotFound(string name, string links, string line, string source)
    {
        // A context is often someone else's repository: a link in it must not copy the builder's /etc into an image.
        var berth = f.Require();
        var secret = SecretDir;
        var ctx = f.Context(("Dockerfile", $"FROM busybox\n{line.Replace("{S}", secret)}\n"));
        MakeLinks(ctx, links, secret);
        var tag = Tag("escape");
        var r = berth.Run("build", "--progress=plain", "-t", tag, ctx);
        Assert.True(r.ExitCode == 1, $"{name}: {r}");
        Assert.Contains($"failed to calculate checksum of ref: \"/{source.Replace("{S}", secret)}\": not found", r.Stderr);
        berth.AssertNoImage(tag);
    }

    [Theory]
    [MemberData(nameof(Escapes))]
    public void ASymlinkLeadingOutOfTheContextReadsItsTwinInsideTheContext(string name, string links, string line, string source)
    {
        // The same links, with the path they name made inside the context: the build copies the context's file, as
        // BuildKit does, and the host's secret is nowhere in the image.
        _ = source;
        var berth = f.Require();
        var secret = SecretDir;
        var ctx = f.Context(("Dockerfile", $"FROM busybox\n{line.Replace("{S}", secret)}\n"),
            ($"{secret.TrimStart('/')}/passwd", "twin\n"), ($"{secret.TrimStart('/')}/hostname", "twin\n"));
        MakeLinks(ctx, links, secret);
        var tag = Tag("twin");
        BuildOk(berth, "-t", tag, ctx);
        var tree = SavedImage.Of(berth, tag).Tree;
        var copied = tree.Where(e => (e.Key is "x" or "d/link1" || e.Key.StartsWith("x/", StringComparison.Ordinal)) && e.Value.StartsWith("file", StringComparison.Ordinal)).ToList();
        Assert.True(copied.Count > 0, $"{name}: nothing copied: {SavedImage.Listing(tree)}");
        Assert.All(copied, e => Assert.Contains(SavedImage.Sha256("twin\n"), e.Value));
        Assert.DoesNotContain(tree.Values, v => v.Contains(SavedImage.Sha256(Secret), StringComparison.Ordinal));
    }

    [Fact]
    public void SymlinksInsideTheContextAreFollowedWithinItAndKeptByADirectoryCopy()
    {
        // What docker users rely on: a top-level link is followed (inside the context), `COPY . /ctx` keeps every
        // link as a link, dangling or pointing out.
        var berth = f.Require();
        var secret = SecretDir;
        var ctx = f.Context(("real.txt", "R\n"), ("real/sub/s.txt", "S\n"), ("etc/hostname", "H\n"), ("Dockerfile", """
            FROM busybox
            COPY abslink /a/
            COPY rellink /b
            COPY dirlink /c
            COPY up/real.txt /e
            COPY etcl/hostname /f
            COPY dirlink/sub/s.txt /g
            COPY . /ctx
            """));
        MakeLinks(ctx, "abslink=/real.txt,rellink=real.txt,dirlink=/real,up=../../../..,etcl=/etc,dangling=/nonexist,real/inner={S}/passwd", secret);
        var tag = Tag("inside");
        BuildOk(berth, "-t", tag, ctx);
        var t = SavedImage.Of(berth, tag).Tree;
        Assert.Equal($"file 644 0:0 2 {SavedImage.Sha256("R\n")}", t["a/abslink"]);
        Assert.Equal($"file 644 0:0 2 {SavedImage.Sha256("R\n")}", t["b"]);
        Assert.Equal($"file 644 0:0 2 {SavedImage.Sha256("S\n")}", t["c/sub/s.txt"]);
        Assert.Equal($"symlink 0:0 -> {secret}/passwd", t["c/inner"]);
        Assert.Equal($"file 644 0:0 2 {SavedImage.Sha256("R\n")}", t["e"]);
        Assert.Equal($"file 644 0:0 2 {SavedImage.Sha256("H\n")}", t["f"]);
        Assert.Equal($"file 644 0:0 2 {SavedImage.Sha256("S\n")}", t["g"]);
        Assert.Equal("symlink 0:0 -> /real.txt", t["ctx/abslink"]);
        Assert.Equal("symlink 0:0 -> ../../../..", t["ctx/up"]);
        Assert.Equal("symlink 0:0 -> /etc", t["ctx/etcl"]);
        Assert.Equal("symlink 0:0 -> /nonexist", t["ctx/dangling"]);
        Assert.Equal("symlink 0:0 -> /real", t["ctx/dirlink"]);
        Assert.DoesNotContain(t.Values, v => v.Contains(SavedImage.Sha256(Secret), StringComparison.Ordinal));
    }

    [Fact]
    public void CopyFromAStageResolvesItsSymlinksInsideThatStage()
    {
        // A RUN step (or a base image) makes links too: COPY --from must read them inside the stage's tree.
        var berth = f.Require();
        var secret = SecretDir;
        var ctx = f.Context(("Dockerfile", $"""
            FROM busybox AS s
            RUN ln -s {secret} /lnk && ln -s {secret}/passwd /flink
            FROM busybox
            COPY --from=s /lnk/passwd /x
            """));
        var tag = Tag("fromlink");
        var r = berth.Run("build", "--progress=plain", "-t", tag, ctx);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("failed to calculate checksum of ref: \"/lnk/passwd\": not found", r.Stderr);

        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), $"""
            FROM busybox AS s
            RUN mkdir -p {secret} && echo twin > {secret}/passwd && ln -s {secret} /lnk && ln -s {secret}/passwd /flink
            FROM busybox
            COPY --from=s /lnk/passwd /x
            COPY --from=s /flink /y
            """);
        BuildOk(berth, "-t", tag, ctx);
        var t = SavedImage.Of(berth, tag).Tree;
        Assert.Equal($"file 644 0:0 5 {SavedImage.Sha256("twin\n")}", t["x"]);
        Assert.Equal($"file 644 0:0 5 {SavedImage.Sha256("twin\n")}", t["y"]);
    }

    [Fact]
    public async Task ADirectorySwappedForAnOutwardLinkDuringTheBuildIsNotFollowed()
    {
        // The context may change while a build runs: a later step resolves the path again, inside the context.
        var berth = f.Require();
        var secret = SecretDir;
        var marker = Random.Shared.Next(100000, 999999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ctx = f.Context(("data/passwd", "ctx\n"), ("Dockerfile", $"""
            FROM busybox
            COPY data /a
            RUN sleep {marker} || true
            COPY data /b
            """));
        var tag = Tag("swap");
        var build = Task.Run(() => berth.Run("build", "--progress=plain", "-t", tag, ctx), TestContext.Current.CancellationToken);
        // Wait for the RUN step (its sleep is visible in the host's /proc), swap, then let the step end.
        var sleeper = WaitForProcess(["sleep", marker], build);
        Directory.Move(Path.Combine(ctx, "data"), Path.Combine(ctx, "data.orig"));
        File.CreateSymbolicLink(Path.Combine(ctx, "data"), secret);
        sleeper.Kill();
        var r = await build.WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("failed to calculate checksum of ref: \"/data\": not found", r.Stderr);
        berth.AssertNoImage(tag);
    }

    private static System.Diagnostics.Process WaitForProcess(string[] argv, Task<RunResult> build)
    {
        var want = string.Join('\0', argv) + "\0";
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (build.IsCompleted) throw new InvalidOperationException("the build ended before its RUN step started");
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "cmdline")) == want) return System.Diagnostics.Process.GetProcessById(pid);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"no process {string.Join(' ', argv)} appeared");
    }

    /// <summary>Makes the links <c>name=target,…</c> in <paramref name="ctx"/>; <c>{S}</c> in a target is the secret
    /// directory.</summary>
    private static void MakeLinks(string ctx, string links, string secret)
    {
        foreach (var spec in links.Split(','))
        {
            var (name, target) = (spec[..spec.IndexOf('=')], spec[(spec.IndexOf('=') + 1)..].Replace("{S}", secret));
            var path = Path.Combine(ctx, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.CreateSymbolicLink(path, target);
        }
    }
}
