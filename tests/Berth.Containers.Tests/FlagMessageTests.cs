using System.Text.RegularExpressions;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>Issue 14, defect 9: typed flags of run/create refused in the docker CLI's words (pflag, go-units,
/// docker/cli opts, as docker 28 prints them without a daemon), and the daemon's checks docker makes.</summary>
[Collection("containers")]
public sealed class FlagMessageTests(BusyboxFixture image)
{
    /// <summary>Every numeric and size flag of run/create, as docker names it in errors, with docker's reason for
    /// the value "abc".</summary>
    public static TheoryData<string, string, string> TypedFlags() => new()
    {
        { "--pids-limit", "--pids-limit", "strconv.ParseInt: parsing \"abc\": invalid syntax" },
        { "--cpu-shares", "-c, --cpu-shares", "strconv.ParseInt: parsing \"abc\": invalid syntax" },
        { "--stop-timeout", "--stop-timeout", "strconv.ParseInt: parsing \"abc\": invalid syntax" },
        { "--oom-score-adj", "--oom-score-adj", "strconv.ParseInt: parsing \"abc\": invalid syntax" },
        { "--cpu-period", "--cpu-period", "strconv.ParseInt: parsing \"abc\": invalid syntax" },
        { "--cpu-quota", "--cpu-quota", "strconv.ParseInt: parsing \"abc\": invalid syntax" },
        { "--memory-swappiness", "--memory-swappiness", "strconv.ParseInt: parsing \"abc\": invalid syntax" },
        { "--memory", "-m, --memory", "invalid size: 'abc'" },
        { "--memory-swap", "--memory-swap", "invalid size: 'abc'" },
        { "--memory-reservation", "--memory-reservation", "invalid size: 'abc'" },
        { "--shm-size", "--shm-size", "invalid size: 'abc'" },
        { "--cpus", "--cpus", "failed to parse abc as a rational number" },
    };

    [Theory]
    [MemberData(nameof(TypedFlags))]
    public void EveryTypedFlagRefusesABadValueNamingFlagAndValue(string flag, string shown, string reason)
    {
        // Scripts and people read these: the flag and the value must be named, as docker names them, and the exit
        // is docker's usage error (125), before anything is created. (berth printed "expected type
        // 'System.Nullable`1[System.Int64]'" for --pids-limit abc.)
        using var dir = new TempDirectory("berth-flags");
        var berth = new Testing.Berth(dir.Combine("root"));
        foreach (var verb in new[] { "run", "create" })
        {
            var r = berth.Run(verb, flag, "abc", "busybox");
            Assert.Equal(125, r.ExitCode);
            Assert.Equal($"berth: invalid argument \"abc\" for \"{shown}\" flag: {reason}\nSee 'berth {verb} --help'.\n", r.Stderr);
            Assert.Empty(r.Stdout);
        }
    }

    [Theory]
    [InlineData("--pids-limit", "1.5", "strconv.ParseInt: parsing \"1.5\": invalid syntax")]
    [InlineData("--pids-limit", "99999999999999999999", "strconv.ParseInt: parsing \"99999999999999999999\": value out of range")]
    [InlineData("--pids-limit", "", "strconv.ParseInt: parsing \"\": invalid syntax")]
    [InlineData("--pids-limit", "1__0", "strconv.ParseInt: parsing \"1__0\": invalid syntax")]
    [InlineData("--memory", "10.5x", "invalid suffix: 'x'")]
    [InlineData("--memory", "10eb", "invalid suffix: 'eb'")]
    [InlineData("--memory", "1.5.5", "strconv.ParseFloat: parsing \"1.5.5\": invalid syntax")]
    [InlineData("--memory", "0x10", "strconv.ParseFloat: parsing \"0x10\": invalid syntax")]
    [InlineData("--memory", "-5", "invalid size: '-5'")]
    [InlineData("--memory-swap", "-2", "invalid size: '-2'")]
    [InlineData("--cpus", "1/3", "value is too precise")]
    [InlineData("--cpus", "0.0000000001", "value is too precise")]
    public void BadValuesGetDockersReason(string flag, string value, string reason)
    {
        // Each expected line is what docker 28's CLI prints for the same arguments.
        using var dir = new TempDirectory("berth-flags");
        var r = new Testing.Berth(dir.Combine("root")).Run("run", flag, value, "busybox");
        Assert.Equal(125, r.ExitCode);
        var shown = flag == "--memory" ? "-m, --memory" : flag;
        Assert.StartsWith($"berth: invalid argument \"{value}\" for \"{shown}\" flag: {reason}\n", r.Stderr);
    }

    [Theory]
    [InlineData("--pids-limit", "0x10")]
    [InlineData("--pids-limit", "1_000")]
    [InlineData("--pids-limit", "-0b11")]
    [InlineData("--cpu-shares", "0o777")]
    [InlineData("--memory", "1.5GiB")]
    [InlineData("--memory", "64 m")]
    [InlineData("--memory-swap", "-1")]
    [InlineData("--shm-size", "1e3")]
    [InlineData("--cpus", "1/2")]
    [InlineData("--cpus", "5e-1")]
    public void ValuesDockerAcceptsAreAccepted(string flag, string value)
    {
        // Go's syntax (base prefixes, digit separators, size units, rationals) is what docker takes: the parse
        // goes through to the next step, here the missing image.
        using var dir = new TempDirectory("berth-flags");
        // --pull never: the missing image is the next step to fail, with no registry asked (issue 10 made create pull).
        var r = new Testing.Berth(dir.Combine("root")).Run("create", "--pull", "never", flag, value, "nosuchimage");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal("berth: No such image: nosuchimage:latest\n", r.Stderr);
    }

    [Fact]
    public void SwappinessOutOfRangeIsRefusedAsDockersCliDoes()
    {
        // docker/cli checks the range itself; -1 is its "unset".
        using var dir = new TempDirectory("berth-flags");
        var berth = new Testing.Berth(dir.Combine("root"));
        var r = berth.Run("run", "--memory-swappiness", "101", "busybox");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal("berth: invalid value: 101. Valid memory swappiness range is 0-100\n", r.Stderr);
        Assert.Equal("berth: No such image: nosuchimage:latest\n", berth.Run("create", "--pull", "never", "--memory-swappiness", "-1", "nosuchimage").Stderr);
    }

    [Fact]
    public void EmptyNameGetsAGeneratedNameAsDocker()
    {
        // docker treats --name '' as no name (compose and scripts pass "$NAME" that may be empty).
        using var s = new ContainerStore(image);
        var id = s.Ok("create", "--name", "", "busybox", "true").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Matches(new Regex("^/[a-z]+_[a-z]+\n$"), s.Ok("inspect", "-f", "{{.Name}}", id));
        var slash = s.Run("create", "--name", "/", "busybox", "true");
        Assert.Equal(125, slash.ExitCode);
        Assert.Equal("berth: Invalid container name (/), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n", slash.Stderr);
    }

    [Fact]
    public void MoreCpusThanTheHostHasAreRefusedWithDockersRange()
    {
        // A limit above the machine's CPUs cannot be honoured; docker's daemon refuses it (run exits 125) rather
        // than create a container whose limit means nothing.
        using var s = new ContainerStore(image);
        var cpus = CpusAllowed();
        foreach (var value in new[] { (cpus + 1).ToString(), "100", "-1" })
        {
            var r = s.Run("create", "--cpus", value, "busybox", "true");
            Assert.Equal(125, r.ExitCode);
            Assert.Equal($"berth: range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available\n", r.Stderr);
        }
        Assert.Empty(s.AllIds());
        Assert.Matches("^[0-9a-f]{64}\n$", s.Ok("create", "--cpus", cpus.ToString(), "busybox", "true"));
        Assert.Matches("^[0-9a-f]{64}\n$", s.Ok("create", "--cpus", "0.01", "busybox", "true"));
    }

    /// <summary>The CPUs this process may use (docker's NumCPU), from the affinity list.</summary>
    private static int CpusAllowed()
    {
        var list = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("Cpus_allowed_list:")).Split(':')[1].Trim();
        return list.Split(',').Sum(r => r.Contains('-') ? int.Parse(r.Split('-')[1]) - int.Parse(r.Split('-')[0]) + 1 : 1);
    }
}
