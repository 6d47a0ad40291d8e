using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>An attached <c>run</c> relays the container's stdio through pipes of its own, as docker does: the
/// container never holds the caller's files.</summary>
[Collection("containers")]
public sealed class RelayTests(BusyboxFixture image)
{
    private static RunResult Shell(ContainerStore s, string script) =>
        Run.Tool("/bin/sh", ["-c", script], timeout: TimeSpan.FromMinutes(1), env: new Dictionary<string, string> { ["B"] = RepoPaths.BerthBinary, ["R"] = s.Root });

    [Fact]
    public void AttachedRunGivesTheContainerPipesNotTheCallersFiles()
    {
        // With `berth run … >> file` the container held the file itself: it could read it, or truncate it through
        // /proc/self/fd/1. Through berth's pipes it sees a pipe, and the file only gets its output, appended.
        using var s = new ContainerStore(image);
        var output = s.Dir.Combine("out.txt");
        var errors = s.Dir.Combine("err.txt");
        var input = s.Dir.Combine("in.txt");
        File.WriteAllText(output, "precious\n");
        File.WriteAllText(errors, "keep\n");
        File.WriteAllText(input, "typed\n");
        foreach (var rm in (string[])["--rm", "--name=kept"])
        {
            var r = Shell(s, $"\"$B\" --root \"$R\" run {rm} -i busybox sh -c 'readlink /proc/self/fd/0; readlink /proc/self/fd/1; " +
                " readlink /proc/self/fd/2 >&2; : > /proc/self/fd/1; : > /proc/self/fd/2; cat; echo err >&2; exit 3' " +
                $"<'{input}' >>'{output}' 2>>'{errors}'; echo rc=$?");
            Assert.Equal("rc=3\n", r.Stdout);
            var lines = File.ReadAllLines(output);
            Assert.Equal("precious", lines[0]);
            Assert.Matches(@"^pipe:\[\d+\]$", lines[1]);
            Assert.Matches(@"^pipe:\[\d+\]$", lines[2]);
            Assert.Equal("typed", lines[3]);
            Assert.Equal(4, lines.Length);
            var errs = File.ReadAllLines(errors);
            Assert.Equal("keep", errs[0]);
            Assert.Matches(@"^pipe:\[\d+\]$", errs[1]);
            Assert.Equal(["keep", errs[1], "err"], errs);
            File.WriteAllText(output, "precious\n");
            File.WriteAllText(errors, "keep\n");
        }
        // Without --rm the same output went to the log too.
        var logs = s.Run("logs", "kept");
        Assert.Matches(@"^pipe:\[\d+\]\npipe:\[\d+\]\ntyped\n$", logs.Stdout);
        Assert.Matches(@"^pipe:\[\d+\]\nerr\n$", logs.Stderr);
    }

    [Fact]
    public void OneFileForStdoutAndStderrKeepsTheContainersOrder()
    {
        // `run … > f 2>&1` (or a terminal) is one file: the relay keeps the order in which the container wrote to its
        // two streams, as when the container wrote to the file itself.
        using var s = new ContainerStore(image);
        var output = s.Dir.Combine("both.txt");
        var r = Shell(s, "\"$B\" --root \"$R\" run --rm busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do echo out$i; echo err$i >&2; done' " +
            $">'{output}' 2>&1; echo rc=$?");
        Assert.Equal("rc=0\n", r.Stdout);
        Assert.Equal(string.Concat(Enumerable.Range(1, 8).Select(i => $"out{i}\nerr{i}\n")), File.ReadAllText(output));
    }

    [Fact]
    public void AReaderThatGoesAwayStopsTheContainersOutput()
    {
        // `berth run … yes | head -2`: once head exits, the container's next write must fail (as it did on the
        // caller's pipe) instead of the relay draining an endless producer.
        using var s = new ContainerStore(image);
        var r = Shell(s, "\"$B\" --root \"$R\" run --rm busybox yes | head -n 2");
        Assert.Equal("y\ny\n", r.Stdout);
        Assert.Empty(s.AllIds());
    }
}
