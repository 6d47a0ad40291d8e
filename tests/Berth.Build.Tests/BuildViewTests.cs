using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Berth.Build.Progress;
using Berth.Testing;
using static Berth.Build.Tests.BuildFixture;

namespace Berth.Build.Tests;

/// <summary>What a build shows (issue 13): instructions as written, and a Ctrl-C that ends the live view with the
/// steps CANCELED and says so.</summary>
[Collection("build")]
public sealed class BuildViewTests(BuildFixture f)
{
    [Fact]
    public void Instructions_show_as_written_in_plain_and_tty_progress()
    {
        var berth = f.Require();
        var dockerfile = "FROM busybox\nEXPOSE 8080\nRUN --mount=type=cache,target=/cache echo hi > /hi\nENV A=1 B=2\nCMD [\"sh\"]\n";
        var ctx = f.Context(("Dockerfile", dockerfile));
        var plain = BuildOk(berth, "--no-cache", ctx);
        Assert.Matches(@"#\d+ \[2/5\] EXPOSE 8080\n", plain);
        Assert.Matches(@"#\d+ \[3/5\] RUN --mount=type=cache,target=/cache echo hi > /hi\n", plain);
        Assert.Matches(@"#\d+ \[4/5\] ENV A=1 B=2\n", plain);
        Assert.Matches(@"#\d+ \[5/5\] CMD \[""sh""\]\n", plain);
        Assert.DoesNotContain("map[", plain);

        var tty = berth.Run("build", "--progress=tty", "--no-cache", ctx);
        Assert.True(tty.ExitCode == 0, tty.ToString());
        Assert.Contains(" => [2/5] EXPOSE 8080 ", tty.Stderr);
        Assert.Contains(" => [3/5] RUN --mount=type=cache,target=/cache echo hi > /hi ", tty.Stderr);
        Assert.DoesNotContain("map[", tty.Stderr);
    }

    [Fact]
    public async Task Ctrl_c_during_a_tty_build_marks_the_step_canceled_and_says_so()
    {
        var berth = f.Require();
        var ctx = f.Context(("Dockerfile", "FROM busybox\nRUN sleep 60\n"));
        using var p = Process.Start(berth.StartInfo("build", "--progress=tty", "--no-cache", ctx))!;
        var err = new StringBuilder();
        var errDone = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await p.StandardError.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
                lock (err) err.Append(buffer, 0, n);
        }, TestContext.Current.CancellationToken);
        // Ready when the live view shows the step running.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            lock (err) if (err.ToString().Contains("RUN sleep 60", StringComparison.Ordinal)) break;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the step never showed:\n{err}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        Assert.Equal(0, Run.Tool("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "berth build did not stop on SIGINT");
        await errDone.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var text = err.ToString();
        Assert.Equal(130, p.ExitCode);
        Assert.Contains(" => CANCELED [2/2] RUN sleep 60 ", text);
        Assert.EndsWith("\nError: failed to solve: Canceled: context canceled\n", text);
        Assert.Empty(berth.LeftoverCgroups());
    }

    [Fact]
    public void The_tty_view_redraws_from_the_start_of_the_line()
    {
        // A ^C echoed by the terminal leaves the cursor mid-line: a frame that moved up from there drew the new
        // header after the old one's first characters. Every redraw starts with a carriage return.
        var output = new StringWriter();
        var view = new TtyProgress(output, 80);
        var step = new BuildStepInfo(1, "[2/2] RUN sleep 60");
        view.Started(step);
        view.Output(step, "line");
        view.Canceled(step);
        view.Dispose();
        var text = output.ToString();
        Assert.Matches(@"\u001b\[\d+A", text);
        Assert.DoesNotMatch(@"[^\r\n]\u001b\[\d+A", text);
        var last = text[(text.LastIndexOf("[+] Building", StringComparison.Ordinal))..];
        Assert.Matches(@"^\[\+\] Building \d+\.\ds \(1/1\)\u001b\[K\n => CANCELED \[2/2\] RUN sleep 60 +\d+\.\ds\u001b\[K\n", last);
    }

    [Fact]
    public void Plain_progress_prints_canceled_steps_as_buildkit()
    {
        var output = new StringWriter();
        IBuildProgress plain = new PlainProgress(output);
        var step = new BuildStepInfo(3, "[2/2] RUN sleep 60");
        plain.Started(step);
        plain.Canceled(step);
        Assert.Equal("#3 [2/2] RUN sleep 60\n#3 CANCELED\n", output.ToString());
    }
}
