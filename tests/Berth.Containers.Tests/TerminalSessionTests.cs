using System.Text.Json;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>Interactive sessions under a pseudo-terminal, as a user at a terminal has them: keys reach the container
/// byte by byte, the detach keys detach and leave the container running, and <c>-it</c> needs a terminal.</summary>
[Collection("containers")]
public sealed class TerminalSessionTests(BusyboxFixture image)
{
    /// <summary>Runs argv under a pty (33 rows, 101 columns) through /usr/bin/python3's pty module: each step waits for
    /// output ("expect", from where the last one matched) or types bytes ("send"); then waits for the exit.</summary>
    private const string Driver = """
        import os, pty, sys, json, time, select, fcntl, termios, struct
        spec = json.loads(sys.argv[1])
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp(spec["argv"][0], spec["argv"])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        out = b""; pos = 0; deadline = time.time() + 60; status = None
        def step():
            global out, status
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    d = os.read(fd, 4096)
                except OSError:
                    d = b""
                out += d
            if status is None:
                p, st = os.waitpid(pid, os.WNOHANG)
                if p: status = os.waitstatus_to_exitcode(st)
        failed = None
        for kind, arg in spec["steps"]:
            if kind == "send":
                os.write(fd, arg.encode("latin-1")); continue
            while out.find(arg.encode("latin-1"), pos) < 0 and time.time() < deadline and status is None:
                step()
            i = out.find(arg.encode("latin-1"), pos)
            if i < 0:
                failed = arg; break
            pos = i + len(arg)
        while status is None and time.time() < deadline:
            step()
        for _ in range(20): step()
        if status is None:
            os.kill(pid, 9); os.waitpid(pid, 0)
        print(json.dumps({"output": out.decode("latin-1"), "exit": status, "failed": failed}))
        """;

    private sealed record PtyResult(string Output, int? Exit, string? Failed);

    private static PtyResult UnderPty(ContainerStore s, IEnumerable<string> berthArgs, params (string Kind, string Text)[] steps)
    {
        HostCapabilities.RequireTool("/usr/bin/python3");
        var script = Path.Combine(s.Dir.Path, "pty-drive.py");
        File.WriteAllText(script, Driver);
        List<string> argv = ["env", $"BERTH_CGROUP_PARENT={s.Berth.CgroupParent}", RepoPaths.BerthBinary, .. s.Berth.GlobalArgs, .. berthArgs];
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("argv");
            foreach (var a in argv) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteStartArray("steps");
            foreach (var (kind, text) in steps)
            {
                w.WriteStartArray();
                w.WriteStringValue(kind);
                w.WriteStringValue(text);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var spec = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        var r = Run.Tool("/usr/bin/python3", [script, spec], timeout: TimeSpan.FromSeconds(90));
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        return new PtyResult(root.GetProperty("output").GetString()!,
            root.GetProperty("exit").ValueKind == JsonValueKind.Null ? null : root.GetProperty("exit").GetInt32(),
            root.GetProperty("failed").ValueKind == JsonValueKind.Null ? null : root.GetProperty("failed").GetString());
    }

    private static (string, string) Expect(string text) => ("expect", text);
    private static (string, string) Send(string text) => ("send", text);

    private static bool Running(ContainerStore s, string name) => s.Ok("inspect", "-f", "{{.State.Running}}", name).Trim() == "true";

    /// <summary>A container that reads three bytes from its terminal in raw mode and prints them in hex; "ready" until
    /// then, so the test types only once the client sees the container.</summary>
    private static readonly string[] ReadThreeBytes =
        ["sh", "-c", "stty raw -echo; (while :; do echo ready; sleep 0.2; done) & p=$!; dd bs=3 count=1 2>/dev/null >/tmp/in; kill $p; echo; od -An -tx1 /tmp/in; echo end"];

    [Fact]
    public void KeysReachTheContainerOneByOneWithoutEnter()
    {
        // Full-screen programs and shell line editing read keys as they are typed: the Up arrow (ESC [ A) must reach the
        // container before any Enter, through run -it and through attach (which once held every key until Enter).
        using var s = new ContainerStore(image);
        var run = UnderPty(s, ["run", "-it", "--rm", "busybox", .. ReadThreeBytes], Expect("ready"), Send("\u001b[A"), Expect("1b 5b 41"), Expect("end"));
        Assert.True(run.Failed is null && run.Exit == 0, $"{run}");

        s.Ok(["run", "-dit", "--name", "raw", "busybox", .. ReadThreeBytes]);
        var attach = UnderPty(s, ["attach", "raw"], Expect("ready"), Send("\u001b[A"), Expect("1b 5b 41"), Expect("end"));
        Assert.True(attach.Failed is null, $"{attach}");
        s.Ok("rm", "-f", "raw");
    }

    [Fact]
    public void DetachKeysLeaveTheContainerRunning()
    {
        // docker's Ctrl-P Ctrl-Q: the client goes, the container stays. run -it exits 0 without a word; attach and exec
        // say "read escape sequence" and exit 1; --detach-keys chooses other keys.
        using var s = new ContainerStore(image);
        var run = UnderPty(s, ["run", "-it", "--name", "keep", "busybox", "sh"], Expect("# "), Send("echo one\r"), Expect("one"), Send("\u0010\u0011"));
        Assert.True(run.Failed is null && run.Exit == 0, $"{run}");
        Assert.DoesNotContain("read escape sequence", run.Output);
        Assert.True(Running(s, "keep"));

        var attach = UnderPty(s, ["attach", "--detach-keys", "ctrl-a,x", "keep"],
            Send("echo two\r"), Expect("two\r\n"), Send("\u0010\u0011"), Send("echo three\r"), Expect("three\r\n"), Send("\u0001x"));
        Assert.True(attach.Failed is null && attach.Exit == 1, $"{attach}");
        Assert.Contains("read escape sequence", attach.Output);
        Assert.True(Running(s, "keep"));

        var exec = UnderPty(s, ["exec", "-it", "keep", "sh"], Expect("# "), Send("echo four\r"), Expect("four"), Send("\u0010\u0011"));
        Assert.True(exec.Failed is null && exec.Exit == 1, $"{exec}");
        Assert.Contains("read escape sequence", exec.Output);
        Assert.True(Running(s, "keep"));

        // The shell still answers, and its exit ends an attach with its code.
        var last = UnderPty(s, ["attach", "keep"], Send("exit 7\r"));
        Assert.Equal(7, last.Exit);
        s.Ok("rm", "keep");
    }

    [Fact]
    public void InteractiveTerminalNeedsATerminalAndValidDetachKeys()
    {
        // As docker: -it with stdin not a terminal, and detach keys that do not parse, exit 1 before anything is created.
        using var s = new ContainerStore(image);
        s.RunWithStdinResult("", "run", "-it", "--rm", "busybox", "true").AssertExit(1, "the input device is not a TTY");
        var bad = UnderPty(s, ["run", "-it", "--detach-keys", "ctrl-5", "busybox", "true"]);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("Invalid detach keys (ctrl-5) provided", bad.Output);
        Assert.Equal("", s.Ok("ps", "-aq"));

        s.Ok("run", "-dit", "--name", "t", "busybox", "sh");
        s.RunWithStdinResult("", "exec", "-it", "t", "true").AssertExit(1, "the input device is not a TTY");
        s.RunWithStdinResult("", "attach", "t").AssertExit(1, "the input device is not a TTY");
        var badExec = UnderPty(s, ["exec", "-it", "--detach-keys", "bogus", "t", "true"]);
        Assert.Equal(1, badExec.Exit);
        Assert.Contains("Invalid escape keys (bogus) provided", badExec.Output);
        s.Ok("rm", "-f", "t");
    }
}
