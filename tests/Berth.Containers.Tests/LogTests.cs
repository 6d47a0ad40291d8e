using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>The json-file log as docker keeps it: <c>logs</c> streamed in bounded memory, <c>--tail</c> read from the
/// end, rotation by <c>--log-opt max-size/max-file/compress</c> read back in order (also while following), the
/// <c>none</c> driver, and docker's errors for bad options.</summary>
[Collection("containers")]
public sealed class LogTests(BusyboxFixture image)
{
    private static string LogPathOf(ContainerStore s, string name) => s.Ok("inspect", "-f", "{{.LogPath}}", name).Trim();

    private static string Numbered(string prefix, int count) =>
        $"i=0; while [ $i -lt {count} ]; do echo {prefix}-$i; i=$((i+1)); done";

    /// <summary>Runs berth under GNU time: its result, wall time and peak resident memory (KiB).</summary>
    private static (RunResult Result, double Seconds, long MaxRssKb) Measured(ContainerStore s, string outFile, params string[] args)
    {
        var time = HostCapabilities.FindTool("time");
        HostCapabilities.Require(time is not null, "needs GNU time (/usr/bin/time)");
        var report = s.Dir.Combine("time-" + Guid.NewGuid().ToString("N"));
        var r = Run.Tool(time!, ["-o", report, "-f", "%e %M", RepoPaths.BerthBinary, "--root", s.Root, .. args], stdoutFile: outFile, timeout: TimeSpan.FromMinutes(2));
        var fields = File.ReadAllText(report).Trim().Split('\n')[^1].Split(' ');
        return (r, double.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void LogsOfAFloodStreamInBoundedMemoryAndTailReadsFromTheEnd()
    {
        // A chatty container's 50 MB log must not cost `logs` its size in memory (it took 454 MB and 3.2 s), and
        // `logs --tail 1` must not read it all: it reads backwards from the end, as docker's does.
        using var s = new ContainerStore(image);
        s.Ok("run", "--name", "flood", "busybox", "true");
        const int lines = 500_000;
        using (var log = new StreamWriter(LogPathOf(s, "flood"), append: false, new UTF8Encoding(false), 1 << 20))
        {
            for (var i = 0; i < lines; i++)
                log.Write($"{{\"log\":\"line {i:D7} {new string('x', 20)}\\n\",\"stream\":\"{(i % 10 == 0 ? "stderr" : "stdout")}\",\"time\":\"2026-01-01T00:00:00.{i:D9}Z\"}}\n");
        }
        Assert.True(new FileInfo(LogPathOf(s, "flood")).Length > 50_000_000);

        // The same binary's start-up (a Debug build's JIT takes most of a second), to measure the tail against.
        var (_, startup, baseRss) = Measured(s, s.Dir.Combine("ps.out"), "ps", "-a");
        var tailOut = s.Dir.Combine("tail.out");
        var (tail, tailSeconds, tailRss) = Measured(s, tailOut, "logs", "--tail", "1", "flood");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Equal($"line {lines - 1:D7} {new string('x', 20)}\n", File.ReadAllText(tailOut));
        Assert.True(tailSeconds < startup + 1.0, $"logs --tail 1 took {tailSeconds} s (start-up alone {startup} s)");
        Assert.True(tailRss < 100_000, $"logs --tail 1 peaked at {tailRss} KiB (ps -a: {baseRss} KiB)");

        var allOut = s.Dir.Combine("all.out");
        var (all, _, allRss) = Measured(s, allOut, "logs", "flood");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.True(allRss < 100_000, $"logs peaked at {allRss} KiB for a 50 MB log (ps -a: {baseRss} KiB)");
        var stdoutLines = 0;
        using (var reader = new StreamReader(allOut))
        {
            string? line;
            var expected = 1;
            while ((line = reader.ReadLine()) is not null)
            {
                Assert.Equal($"line {expected:D7} {new string('x', 20)}", line);
                expected += expected % 10 == 9 ? 2 : 1;
                stdoutLines++;
            }
        }
        Assert.Equal(lines - lines / 10, stdoutLines);
        Assert.Equal(lines / 10, all.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void RotationKeepsTheFilesWithinMaxSizeTimesMaxFileAndLogsReadsThemInOrder()
    {
        // max-size/max-file are what keep a chatty container from filling the disk; what is kept reads back in order,
        // across the rotated files, whole or by --tail.
        using var s = new ContainerStore(image);
        s.Ok("run", "--name", "rot", "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "busybox", "sh", "-c", Numbered("line", 500));
        var log = LogPathOf(s, "rot");
        var files = new[] { log, log + ".1", log + ".2" };
        foreach (var f in files) Assert.True(File.Exists(f), $"{f} missing");
        Assert.False(File.Exists(log + ".3"));
        foreach (var f in files) Assert.InRange(new FileInfo(f).Length, 1, 2000);
        var kept = files.Reverse().SelectMany(File.ReadAllLines).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("log").GetString()).ToList();

        var all = s.Ok("logs", "rot");
        Assert.Equal(string.Concat(kept), all);
        var numbers = all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l["line-".Length..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(500 - numbers.Count, numbers.Count), numbers);
        // More than the live file holds: the tail spans the rotated ones.
        var liveLines = File.ReadAllLines(log).Length;
        var n = liveLines + 5;
        Assert.Equal(string.Concat(Enumerable.Range(500 - n, n).Select(i => $"line-{i}\n")), s.Ok("logs", "--tail", n.ToString(CultureInfo.InvariantCulture), "rot"));
        Assert.Equal("line-499\n", s.Ok("logs", "-n", "1", "rot"));
        Assert.Equal("", s.Ok("logs", "--tail", "0", "rot"));
        Assert.Equal(all, s.Ok("logs", "--tail", "100000", "rot"));
        using (var doc = JsonDocument.Parse(s.Ok("inspect", "-f", "{{json .HostConfig.LogConfig}}", "rot")))
        {
            Assert.Equal("json-file", doc.RootElement.GetProperty("Type").GetString());
            Assert.Equal("{\"max-file\":\"3\",\"max-size\":\"2k\"}", doc.RootElement.GetProperty("Config").GetRawText());
        }

        // compress: the rotated files are gzipped (.1.gz, .2.gz) and read back the same way.
        s.Ok("run", "--name", "gz", "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "--log-opt", "compress=true", "busybox", "sh", "-c", Numbered("line", 500));
        var gzLog = LogPathOf(s, "gz");
        Assert.True(File.Exists(gzLog + ".1.gz") && File.Exists(gzLog + ".2.gz"));
        Assert.False(File.Exists(gzLog + ".1") || File.Exists(gzLog + ".3.gz"));
        string Gunzip(string path)
        {
            using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var reader = new StreamReader(gz);
            return reader.ReadToEnd();
        }
        var gzKept = (Gunzip(gzLog + ".2.gz") + Gunzip(gzLog + ".1.gz") + File.ReadAllText(gzLog)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("log").GetString()).ToList();
        Assert.True(gzKept.Count > File.ReadAllLines(gzLog).Length);
        var gzAll = s.Ok("logs", "gz");
        Assert.Equal(string.Concat(gzKept), gzAll);
        Assert.EndsWith("line-499\n", gzAll);
        var gzTail = File.ReadAllLines(gzLog).Length + 3;
        Assert.Equal(string.Concat(gzKept.TakeLast(gzTail)), s.Ok("logs", "--tail", gzTail.ToString(CultureInfo.InvariantCulture), "gz"));
    }

    [Fact]
    public void FollowGoesOnAcrossRotations()
    {
        // `logs -f` on a rotating log must neither lose nor repeat lines when the file it reads is rotated away.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "chatty", "--log-opt", "max-size=1k", "--log-opt", "max-file=50", "busybox", "sh", "-c",
            "i=0; while [ $i -lt 300 ]; do echo tick-$i; i=$((i+1)); usleep 5000; done");
        var r = s.Run("logs", "-f", "chatty");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(string.Concat(Enumerable.Range(0, 300).Select(i => $"tick-{i}\n")), r.Stdout);
        var log = LogPathOf(s, "chatty");
        Assert.True(File.Exists(log + ".10"), "the log did not rotate as often as the test needs");
    }

    [Fact]
    public void LogOptionsAreCheckedAsDockerChecksThem()
    {
        // A typo in a log option must fail the run up front with docker's message (scripts and people read it),
        // not leave a container that logs without bound.
        using var s = new ContainerStore(image);
        (string[] Args, string Message)[] cases =
        [
            (["--log-opt", "max-size=abc"], "failed to initialize logging driver: invalid size: 'abc'"),
            (["--log-opt", "max-size=0"], "failed to initialize logging driver: max-size must be a positive number"),
            (["--log-opt", "max-size=-1"], "failed to initialize logging driver: invalid size: '-1'"),
            (["--log-opt", "max-file=0"], "failed to initialize logging driver: max-file cannot be less than 1"),
            (["--log-opt", "max-size=1m", "--log-opt", "max-file=x"], "failed to initialize logging driver: strconv.Atoi: parsing \"x\": invalid syntax"),
            (["--log-opt", "maxsize=1m"], "unknown log opt 'maxsize' for json-file log driver"),
            (["--log-opt", "compress=true"], "failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set"),
            (["--log-opt", "max-size=1m", "--log-opt", "max-file=2", "--log-opt", "compress=yes"], "failed to initialize logging driver: strconv.ParseBool: parsing \"yes\": invalid syntax"),
            (["--log-driver", "none", "--log-opt", "max-size=1m"], "invalid logging opts for driver none"),
            (["--log-driver", "syslogd"], "error looking up logging plugin syslogd: plugin \"syslogd\" not found"),
        ];
        foreach (var (args, message) in cases)
        {
            var r = s.Run(["run", "--rm", .. args, "busybox", "true"]);
            Assert.True(r.ExitCode == 125 && r.Stderr.Contains(message, StringComparison.Ordinal), $"{string.Join(' ', args)}: {r}");
            Assert.Equal(125, s.Run(["create", .. args, "busybox", "true"]).ExitCode);
        }
        Assert.Empty(s.AllIds());
        // What docker accepts: decimal units, a binary suffix, max-file alone (it has no effect without max-size).
        Assert.Equal("ok\n", s.Ok("run", "--rm", "--log-opt", "max-size=1.5k", "--log-opt", "max-file=+3", "busybox", "echo", "ok"));
        Assert.Equal("ok\n", s.Ok("run", "--rm", "--log-opt", "max-size=10MB", "--log-opt", "compress=false", "busybox", "echo", "ok"));
        Assert.Equal("ok\n", s.Ok("run", "--rm", "--log-opt", "max-file=3", "--log-opt", "tag=x", "busybox", "echo", "ok"));
    }

    [Fact]
    public void TheNoneDriverKeepsNoLogAndLogsSaysItCannotRead()
    {
        // --log-driver none is for containers whose output must not be kept; docker's `logs` then fails with a clear
        // error rather than printing nothing, and an attached client still sees the output.
        using var s = new ContainerStore(image);
        Assert.Equal("hi\n", s.Ok("run", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "hi"));
        var r = s.Run("logs", "quiet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("configured logging driver does not support reading", r.Stderr);
        Assert.Equal("{\"Type\":\"none\",\"Config\":{}} []\n", s.Ok("inspect", "-f", "{{json .HostConfig.LogConfig}} [{{.LogPath}}]", "quiet"));
        var id = s.Ok("inspect", "-f", "{{.Id}}", "quiet").Trim();
        Assert.Empty(Directory.GetFiles(Path.Combine(s.Root, "containers", id), "*.log*"));

        // Detached, under its monitor: no log file either.
        s.Ok("run", "-d", "--name", "quiet-d", "--log-driver", "none", "busybox", "sh", "-c", "echo hi; sleep 100");
        var dId = s.Ok("inspect", "-f", "{{.Id}}", "quiet-d").Trim();
        Assert.Equal(1, s.Run("logs", "-f", "quiet-d").ExitCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(s.Root, "containers", dId), "*.log*"));
        s.Ok("rm", "-f", "quiet-d");
        // The default stays json-file, with docker's empty Config.
        s.Ok("run", "--name", "plain", "busybox", "true");
        Assert.Equal("{\"Type\":\"json-file\",\"Config\":{}}\n", s.Ok("inspect", "-f", "{{json .HostConfig.LogConfig}}", "plain"));
    }
}
