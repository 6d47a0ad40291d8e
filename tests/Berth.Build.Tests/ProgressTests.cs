using Berth.Testing;

namespace Berth.Build.Tests;

[Collection("build")]
public sealed class ProgressTests(BuildFixture f)
{
    [Fact]
    public void TtyProgressRedrawsStepsInPlaceAndAutoIsPlainWhenRedirected()
    {
        // BuildKit's promise: a live view on a terminal, plain numbered lines in a log or a pipe.
        var berth = f.Require();
        var ctx = f.Context(("a.txt", "a"), ("Dockerfile", "FROM busybox\nCOPY a.txt /a\nRUN echo step-output\n"));
        var tty = berth.Run("build", "--progress=tty", "--no-cache", ctx);
        Assert.True(tty.ExitCode == 0, tty.ToString());
        Assert.Contains("[+] Building", tty.Stderr);
        Assert.Contains(" => [2/3] COPY a.txt /a", tty.Stderr);
        Assert.Contains("\u001b[K", tty.Stderr);
        Assert.Matches(@"\u001b\[\d+A", tty.Stderr);

        // stderr is a pipe here, so auto means plain.
        var auto = berth.Run("build", "--no-cache", ctx);
        Assert.True(auto.ExitCode == 0, auto.ToString());
        Assert.DoesNotContain("\u001b[", auto.Stderr);
        Assert.Contains("#3 [3/3] RUN echo step-output", auto.Stderr);
        Assert.Contains("step-output", auto.Stderr);
    }
}
