using System.Diagnostics;
using Berth.Testing;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class CrashTests(BuildFixture f)
{
    [Fact]
    public async Task CacheAfterACrashKeepsTheFinishedStepsAndTagsNothing()
    {
        // DESIGN.md: the cache survives a crash like the rest of the store. A build killed with SIGKILL in the middle
        // of a RUN leaves a store that checks clean, the steps that finished are reused, and nothing is tagged.
        var berth = f.Require();
        var ctx = f.Context(("a.txt", Guid.NewGuid().ToString()), ("Dockerfile", """
            FROM busybox
            COPY a.txt /a
            RUN echo one > /one
            ARG SLEEP=4321
            RUN echo sleeping && sleep $SLEEP && echo two > /two
            LABEL done=yes
            """));
        var tag = $"crash-{Guid.NewGuid().ToString("N")[..8]}:t";
        var imagesBefore = berth.Ok("images", "-q", "--no-trunc");

        var psi = berth.StartInfo("build", "--progress=plain", "-t", tag, ctx);
        using var build = Process.Start(psi)!;
        _ = build.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var seen = new System.Text.StringBuilder();
        // Every read is bounded: a build that hangs before its RUN step fails the test instead of blocking it.
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            while (true)
            {
                string? line;
                try
                {
                    line = await build.StandardError.ReadLineAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    build.Kill(entireProcessTree: true);
                    Assert.Fail($"the build's RUN step did not start within 2 minutes:\n{seen}");
                    throw;
                }
                Assert.True(line is not null, $"the build ended before its RUN step started:\n{seen}");
                seen.AppendLine(line);
                if (line.EndsWith(" sleeping", StringComparison.Ordinal)) break;
            }
        }
        build.Kill(entireProcessTree: false); // SIGKILL to berth alone: the container it started is left to itself
        Assert.True(build.WaitForExit(TimeSpan.FromSeconds(30)), "berth did not die of SIGKILL");
        _ = build.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

        berth.AssertNoImage(tag);
        Assert.Equal(imagesBefore, berth.Ok("images", "-q", "--no-trunc"));
        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains(": ok", check.Stdout);

        var rebuild = berth.Run("build", "--progress=plain", "-t", tag, "--build-arg", "SLEEP=0", ctx);
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        Assert.Matches(@"COPY a\.txt /a\n#\d+ CACHED", rebuild.Stderr);
        Assert.Matches(@"RUN echo one > /one\n#\d+ CACHED", rebuild.Stderr);
        Assert.Matches(@"sleep \$SLEEP && echo two > /two\n#\d+ running", rebuild.Stderr);
        Assert.Contains("removed 1 RUN container(s) left by an interrupted build", rebuild.Stderr);
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc"), d => File.Exists(d + "/cmdline") && Cmdline(d) == "sleep\04321\0");
        var image = SavedImage.Of(berth, tag);
        Assert.Contains("two", image.Tree.Keys);
        Assert.Contains(": ok", berth.Ok("system", "check"));
    }

    private static string Cmdline(string procDir)
    {
        try { return File.ReadAllText(procDir + "/cmdline"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
