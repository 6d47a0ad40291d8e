using System.Globalization;
using System.Text.Json;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary><c>berth events</c>: what happened, in order, from any process, with docker's actions, attributes,
/// filters and line format; and new events as they happen.</summary>
[Collection("containers")]
public sealed class EventsTests(BusyboxFixture image)
{
    [Fact]
    public void ALifecycleIsRecordedInOrderWithDockersAttributes()
    {
        using var s = new ContainerStore(image);
        // Unix seconds with a fraction, as docker takes them: events from this moment on.
        var start = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000m).ToString("0.000", CultureInfo.InvariantCulture);
        var r = s.Run("run", "--name", "ev", "--label", "team=a", "busybox", "sh", "-c", "exit 3");
        Assert.Equal(3, r.ExitCode);
        var id = s.Ok("inspect", "-f", "{{.Id}}", "ev").Trim();
        s.Ok("rm", "ev");
        s.Ok("volume", "create", "evvol");
        s.Ok("tag", "busybox", "evtag:1");

        var lines = s.Ok("events", "--since", start, "--until", "0s", "--filter", "type=container").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // An attached run attaches before it starts, as docker run does through dockerd.
        Assert.Equal(["create", "attach", "start", "die", "destroy"], lines.Select(l => l.Split(' ')[2]));
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container \w+ " + id + " \\(", l));
        Assert.EndsWith($"die {id} (exitCode=3, image=busybox, name=ev, team=a)", lines[3]);

        // Filters: keys are ANDed, values of one key ORed; the JSON form carries docker's fields.
        var json = s.Ok("events", "--since", start, "--until", "0s", "--filter", "container=ev", "--filter", "event=die", "--format", "{{json .}}").Trim();
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        Assert.Equal("die", e.GetProperty("Action").GetString());
        Assert.Equal("die", e.GetProperty("status").GetString());
        Assert.Equal(id, e.GetProperty("Actor").GetProperty("ID").GetString());
        Assert.Equal("busybox", e.GetProperty("from").GetString());
        Assert.Equal("local", e.GetProperty("scope").GetString());
        Assert.Equal(e.GetProperty("timeNano").GetInt64() / 1_000_000_000, e.GetProperty("time").GetInt64());
        var others = s.Ok("events", "--since", start, "--until", "0s", "--filter", "type=volume", "--filter", "type=image", "--format", "{{.Type}} {{.Action}}");
        Assert.Equal("volume create\nimage tag\n", others);

        var bad = s.Run("events", "--filter", "colour=red", "--until", "0s");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("invalid filter 'colour'", bad.Stderr);
    }

    [Fact]
    public void EverySignalOfStopKillAndRmIsAKillEventBeforeTheDie()
    {
        // dockerd logs a "kill" for each signal it sends: stop's stop signal, the SIGKILL after its timeout, kill's and
        // rm -f's. Each comes before the die it causes; monitoring tools read "who ended this container" from them.
        using var s = new ContainerStore(image);
        var start = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000m).ToString("0.000", CultureInfo.InvariantCulture);
        // pid 1 gets no default action from the kernel: only a signal it handles ends it, else stop's SIGKILL does.
        s.Ok("run", "-d", "--name", "polite", "busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done");
        s.Ok("stop", "-t", "30", "polite");
        s.Ok("run", "-d", "--name", "stubborn", "busybox", "sleep", "300");
        s.Ok("stop", "-t", "1", "stubborn");
        s.Ok("run", "-d", "--name", "killed", "busybox", "sh", "-c", "trap 'exit 0' USR1; while true; do sleep 0.1; done");
        s.Ok("kill", "-s", "USR1", "killed");
        s.Ok("run", "-d", "--name", "forced", "busybox", "sleep", "300");
        s.Ok("rm", "-f", "forced");
        s.Ok("wait", "killed");

        string Actions(string name) => s.Ok("events", "--since", start, "--until", "0s", "--filter", $"container={name}", "--filter", "event=kill",
            "--filter", "event=die", "--filter", "event=stop", "--format", "{{.Action}}{{with .Actor.Attributes.signal}}={{.}}{{end}}");
        Assert.Equal("kill=15\ndie\nstop\n", Actions("polite"));
        Assert.Equal("kill=15\nkill=9\ndie\nstop\n", Actions("stubborn"));
        Assert.Equal("kill=10\ndie\n", Actions("killed"));
        Assert.Equal("kill=9\ndie\n", Actions("forced"));
    }

    [Fact]
    public async Task AFollowerSeesEventsFromOtherProcessesAsTheyHappen()
    {
        using var s = new ContainerStore(image);
        // Bounded by --until (a relative time is before now, so an absolute one); its first line (the volume made
        // before) says it is reading.
        s.Ok("volume", "create", "before");
        var until = DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var follower = s.Start("events", "--since", "1h", "--until", until, "--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}");
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal("create before", await follower.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), ct));
        s.Ok("volume", "create", "after");
        // Within a second (the wait when a notification were lost); inotify makes it milliseconds.
        Assert.Equal("create after", await follower.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct));
        follower.Kill();
        await follower.WaitForExitAsync(ct);
    }
}
