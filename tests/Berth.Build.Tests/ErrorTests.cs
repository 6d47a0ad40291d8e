using Berth.Testing;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class ErrorTests(BuildFixture f)
{
    private (RunResult Result, string Tag) Fails(string dockerfile, params string[] extra)
    {
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", dockerfile), ("present.txt", "p"));
        var tag = $"err-{Guid.NewGuid().ToString("N")[..8]}:t";
        var r = berth.Run(["build", "--progress=plain", "-t", tag, .. extra, ctx]);
        Assert.True(r.ExitCode == 1, r.ToString());
        berth.AssertNoImage(tag);
        return (r, tag);
    }

    [Fact]
    public void SyntaxErrorNamesFileAndLine()
    {
        // A user must find the broken line from the message alone.
        var (r, _) = Fails("FROM busybox\nCOPY present.txt /p\nFORM busybox\n");
        Assert.Contains("Dockerfile:3", r.Stderr);
    }

    [Fact]
    public void FailingRunReportsCommandExitCodeAndOutputAndTagsNothing()
    {
        // The failure must say which command failed, how, and what it printed last.
        var (r, _) = Fails("FROM busybox\nRUN echo about to fail; exit 7\n");
        Assert.Contains("/bin/sh -c echo about to fail; exit 7", r.Stderr);
        Assert.Contains("exit code: 7", r.Stderr);
        Assert.Contains("about to fail", r.Stderr);
    }

    [Fact]
    public void MissingCopySourceFails()
    {
        // A typo in a source path must fail the build, not copy nothing.
        var (r, _) = Fails("FROM busybox\nCOPY missing.txt /m\n");
        Assert.Contains("\"/missing.txt\": not found", r.Stderr);
    }

    [Fact]
    public void UnknownStageOrImageFails()
    {
        // --target and --from naming nothing are errors, not silent no-ops.
        var (r, _) = Fails("FROM busybox AS a\nCOPY present.txt /p\n", "--target", "nosuch");
        Assert.Contains("nosuch", r.Stderr);
        (r, _) = Fails("FROM busybox\nCOPY --from=nosuchstage /x /y\n");
        Assert.Contains("nosuchstage", r.Stderr);
    }

    [Fact]
    public void BadInstructionFlagFails()
    {
        // An unknown instruction flag is a Dockerfile error (exit 1); an unknown CLI flag is a usage error (125).
        var (r, _) = Fails("FROM busybox\nCOPY --bogus=1 present.txt /p\n");
        Assert.Contains("Dockerfile:2", r.Stderr);
        var berth = f.Require();
        Assert.Equal(125, berth.Run("build", "--bogus", f.Context(("Dockerfile", "FROM busybox\n"))).ExitCode);
        // A value --progress does not take is a usage error too (issue 13).
        Assert.Equal(125, berth.Run("build", "--progress=fancy", f.Context(("Dockerfile", "FROM busybox\n"))).ExitCode);
    }

    [Fact]
    public void AMissingBaseImageIsNotAParseErrorAndNamesCommandsThatExist()
    {
        // Issue 13: the Dockerfile is fine, the store lacks the image. Issue 10: build pulls it, and says why it
        // could not (a registry on a closed loopback port: no network needed).
        var (r, _) = Fails("FROM 127.0.0.1:1/nosuchbase:1.0\nCOPY present.txt /p\n");
        Assert.StartsWith(
            "Error: failed to solve: 127.0.0.1:1/nosuchbase:1.0: failed to resolve source metadata for 127.0.0.1:1/nosuchbase:1.0: 127.0.0.1:1: cannot reach 127.0.0.1:1",
            LastLine(r.Stderr));
        Assert.DoesNotContain("parse error", r.Stderr);
    }

    [Fact]
    public void CopyOfAnIgnoredFileSaysItIsExcludedByDockerignore()
    {
        // Issue 13: "not found" sends the user looking for a file that is right there; docker's legacy builder says
        // .dockerignore excluded it.
        var berth = f.Require();
        var ctx = f.Context(("README.md", "r"), ("docs/guide.md", "g"), ("a.log", "l"), ("b.log", "l"), (".dockerignore", "README.md\ndocs\n*.log\n"),
            ("Dockerfile", "FROM busybox\nCOPY README.md /r\n"));
        foreach (var (source, shown) in new[] { ("README.md", "/README.md"), ("docs/guide.md", "/docs/guide.md"), ("*.log", "/*.log") })
        {
            File.WriteAllText(Path.Combine(ctx, "Dockerfile"), $"FROM busybox\nCOPY {source} /r/\n");
            var r = berth.Run("build", "--progress=plain", ctx);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Equal($"Error: failed to solve: failed to compute cache key: \"{shown}\": excluded by .dockerignore", LastLine(r.Stderr));
        }
        // A file that is not there at all is still plainly not found.
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox\nCOPY absent.md /r\n");
        var missing = berth.Run("build", "--progress=plain", ctx);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error: failed to solve: failed to compute cache key: failed to calculate checksum of ref: \"/absent.md\": not found", LastLine(missing.Stderr));
    }

    private static string LastLine(string text) => text.TrimEnd().Split('\n')[^1].TrimEnd();
}
