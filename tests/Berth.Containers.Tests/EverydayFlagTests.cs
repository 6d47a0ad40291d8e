using System.Diagnostics;
using System.Text;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>Issue 13's remaining run flags and live stats, checked against what docker 28 (dockerd 20.10) does.</summary>
[Collection("containers")]
public sealed class EverydayFlagTests(BusyboxFixture image)
{
    [Fact]
    public void RelativeBindSourcesComeFromTheWorkingDirectoryAndTildeIsAVolumeName()
    {
        // docker 28 takes "-v ./dir:/x" from the working directory; "~" is the shell's to expand, not docker's.
        using var s = new ContainerStore(image);
        var work = s.Dir.Combine("work");
        Directory.CreateDirectory(Path.Combine(work, "rel"));
        File.WriteAllText(Path.Combine(work, "rel", "f"), "relative\n");
        var r = Run.Shell($"cd '{work}' && {s.Berth.CommandLine} run --name rel -v ./rel:/x busybox cat /x/f");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("relative\n", r.Stdout);
        Assert.Equal($"[\"{Path.Combine(work, "rel")}:/x\"]\n", s.Ok("inspect", "-f", "{{json .HostConfig.Binds}}", "rel"));

        var tilde = s.Run("run", "--rm", "-v", "~/x:/y", "busybox", "true");
        Assert.Equal(125, tilde.ExitCode);
        Assert.Contains("\"~/x\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", tilde.Stderr);
    }

    [Fact]
    public void BadVolumeAndMountFlagsAreUsageErrorsInDockersWords()
    {
        // The CLI parses -v and --mount into typed mounts and refuses them as docker 28 does (its own words for
        // --mount, dockerd's for -v and for what only the host can tell), exit 125, nothing created.
        using var s = new ContainerStore(image);
        var host = s.Dir.Combine("h");
        Directory.CreateDirectory(host);
        (string[] Args, string Message)[] cases =
        [
            (["-v", "/a:rel"], "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"),
            (["-v", $"{host}:/"], $"invalid volume specification: '{host}:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"),
            (["-v", $"{host}:/x:bad"], "invalid mode: bad"),
            (["--mount", "type=volume,target=/x,tmpfs-size=1"], "invalid argument \"type=volume,target=/x,tmpfs-size=1\" for \"--mount\" flag: cannot mix 'tmpfs-*' options with mount type 'volume'"),
            (["--mount", "type=tmpfs,target=/x,tmpfs-size=abc"], "invalid argument \"type=tmpfs,target=/x,tmpfs-size=abc\" for \"--mount\" flag: invalid value for tmpfs-size: abc"),
            (["--mount", "type=bind,source=/tmp"], "invalid argument \"type=bind,source=/tmp\" for \"--mount\" flag: target is required"),
            (["--mount", "type=bind,target=/x"], "invalid mount config for type \"bind\": field Source must not be empty"),
            (["--mount", "type=tmpfs,source=/tmp,target=/x"], "invalid mount config for type \"tmpfs\": field Source must not be specified"),
            (["--mount", $"type=bind,source={host},target=/x,bind-propagation=sideways"], "invalid mount config for type \"bind\": invalid propagation mode: sideways"),
            (["--mount", "type=volume,source=~/x,target=/x"], "create ~/x: \"~/x\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"),
        ];
        foreach (var (args, message) in cases)
        {
            var r = s.Run(["create", .. args, "busybox", "true"]);
            Assert.True(r.ExitCode == 125, $"{string.Join(' ', args)}: {r}");
            Assert.Contains(message, r.Stderr);
        }
        Assert.Empty(s.AllIds());
        Assert.Equal("", s.Ok("volume", "ls", "-q"));

        // A tmpfs of --mount gets its size and mode.
        Assert.Equal("drwx------ 1048576\n", s.Ok("run", "--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700", "busybox", "sh", "-c",
            "echo $(stat -c %A /t) $(( $(stat -f -c '%b * %S' /t) ))"));
    }

    [Fact]
    public void VolumesFromSharesAnotherContainersVolumesAndBinds()
    {
        using var s = new ContainerStore(image);
        var host = s.Dir.Combine("bound");
        Directory.CreateDirectory(host);
        s.Ok("create", "--name", "src", "-v", "/data", "-v", $"{host}:/bound:ro", "--tmpfs", "/scratch", "busybox", "true");
        // The source's volume is the same volume, writable; its read-only bind stays read-only even with ":rw".
        Assert.Equal("0 1 no-scratch\n", s.Ok("run", "--rm", "--volumes-from", "src:rw", "busybox", "sh", "-c",
            "touch /data/x; a=$?; touch /bound/y 2>/dev/null; b=$?; mountpoint -q /scratch && echo $a $b scratch || echo $a $b no-scratch"));
        Assert.Equal("x\n1\n", s.Ok("run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c", "ls /data; touch /data/z 2>/dev/null; echo $?"));
        s.Ok("create", "--name", "user", "--volumes-from", "src", "-v", "/data", "busybox", "true");
        Assert.Equal("[\"src\"]\n", s.Ok("inspect", "-f", "{{json .HostConfig.VolumesFrom}}", "user"));
        // The container's own -v wins at the same destination: its /data is a volume of its own.
        Assert.NotEqual(s.Ok("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/data\"}}{{.Name}}{{end}}{{end}}", "src"),
            s.Ok("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/data\"}}{{.Name}}{{end}}{{end}}", "user"));

        var missing = s.Run("create", "--volumes-from", "nope", "busybox", "true");
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains("No such container: nope", missing.Stderr);
        var mode = s.Run("create", "--volumes-from", "src:bad", "busybox", "true");
        Assert.Equal(125, mode.ExitCode);
        Assert.Contains("invalid mode: bad", mode.Stderr);
    }

    [Fact]
    public async Task LiveStatsRedrawsAFrameEverySecondUntilStopped()
    {
        // Without --no-stream, stats keeps drawing: each frame clears the screen and shows the container again.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "live", "busybox", "sleep", "600");
        using var stats = s.Start("stats", "live");
        var output = new StringBuilder();
        var buffer = new char[4096];
        var clock = Stopwatch.StartNew();
        static int Frames(string text) => text.Split("\u001b[2J\u001b[H").Count(f => f.Contains("CONTAINER ID") && f.Contains(" live "));
        try
        {
            while (Frames(output.ToString()) < 3 && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
                bounded.CancelAfter(TimeSpan.FromSeconds(30));
                var read = await stats.StandardOutput.ReadAsync(buffer.AsMemory(), bounded.Token);
                if (read == 0) break;
                output.Append(buffer, 0, read);
            }
        }
        finally
        {
            stats.Kill();
            stats.WaitForExit(10_000);
        }
        Assert.True(Frames(output.ToString()) >= 3, $"frames after {clock.Elapsed}: {output}");
    }
}
