using System.Text.Json;
using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>Progress as the docker CLI shows it: on a terminal one live line per layer (rewritten in place with
/// ANSI cursor moves) with a bar and bytes; plain lines when the output is not a terminal; nothing with -q.</summary>
[Collection("registry")]
public sealed class ProgressTests(BusyboxTar busybox)
{
    /// <summary>Runs argv under a pty of 33 rows and 120 columns (wide enough for docker's bar), through
    /// /usr/bin/python3's pty module; returns everything written and the exit code.</summary>
    private const string Driver = """
        import os, pty, sys, json, time, select, fcntl, termios, struct
        argv = json.loads(sys.argv[1])
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 120, 0, 0))
            os.execvp(argv[0], argv)
        out = b""; deadline = time.time() + 120; status = None; eof = False
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    d = os.read(fd, 65536)
                except OSError:
                    d = b""
                if d:
                    out += d
                    continue
                eof = True
            if status is None:
                p, st = os.waitpid(pid, os.WNOHANG)
                if p: status = os.waitstatus_to_exitcode(st)
            if status is not None and (eof or not r):
                break
        if status is None:
            os.kill(pid, 9); os.waitpid(pid, 0)
        print(json.dumps({"output": out.decode("latin-1"), "exit": status}))
        """;

    private static (string Output, int? Exit) UnderPty(Installation i, params string[] args)
    {
        HostCapabilities.RequireTool("/usr/bin/python3");
        var script = i.Dir.Combine("pty-drive.py");
        File.WriteAllText(script, Driver);
        List<string> argv = ["env", .. i.Berth.ExtraEnvironment.Select(e => $"{e.Key}={e.Value}"), RepoPaths.BerthBinary, .. i.Berth.GlobalArgs, .. args];
        var r = Run.Tool("/usr/bin/python3", [script, new System.Text.Json.Nodes.JsonArray([.. argv.Select(x => (System.Text.Json.Nodes.JsonNode?)x)]).ToJsonString()], timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        var result = JsonDocument.Parse(r.Stdout).RootElement;
        return (result.GetProperty("output").GetString()!, result.GetProperty("exit").ValueKind == JsonValueKind.Null ? null : result.GetProperty("exit").GetInt32());
    }

    [Fact]
    public void PullShowsLiveLayerLinesOnATerminalAndPlainLinesOtherwise()
    {
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        using var registry = new RegistryServer();
        string image = $"{registry.Host}/progress/bb:1";
        string layer;
        using (var a = new Installation())
        {
            a.Ok("import", busybox.Path, image);
            var push = UnderPty(a, "push", image);
            Assert.Equal(0, push.Exit);
            Assert.Matches(@"\x1b\[1A\x1b\[2K\r[0-9a-f]{12}: Pushing \[=*>\s*\] +[0-9.]+[kM]B/[0-9.]+MB\r\x1b\[1B", push.Output);
            Assert.Contains(": Pushed\r", push.Output);
            layer = System.Text.RegularExpressions.Regex.Match(push.Output, "([0-9a-f]{12}): Pushed").Groups[1].Value;
        }

        using var b = new Installation();
        var pull = UnderPty(b, "pull", image);
        Assert.Equal(0, pull.Exit);
        // The layer's line: written once as new, then rewritten in place (cursor up 1, erase, status, back down).
        Assert.Contains($"\r\n\x1b[1A\x1b[2K\r{layer}: Pulling fs layer\r\x1b[1B", pull.Output);
        Assert.Matches($@"\x1b\[1A\x1b\[2K\r{layer}: Downloading \[=+>\s*\] +[0-9.]+[kM]B/[0-9.]+MB\r\x1b\[1B", pull.Output);
        Assert.Contains($"\x1b[1A\x1b[2K\r{layer}: Pull complete\r\x1b[1B", pull.Output);
        Assert.Contains("Status: Downloaded newer image for", pull.Output);

        // Not a terminal: plain lines, no escapes, no byte counts.
        using var c = new Installation();
        var plain = c.Ok("pull", image);
        Assert.DoesNotContain("\x1b", plain);
        Assert.Contains($"{layer}: Pulling fs layer\n{layer}: Verifying Checksum\n{layer}: Download complete\n{layer}: Pull complete\n", plain);
        Assert.DoesNotContain("Downloading", plain);

        // -q on a terminal: the name only.
        using var d = new Installation();
        var quiet = UnderPty(d, "pull", "-q", image);
        Assert.Equal(0, quiet.Exit);
        // (.NET's console switches the keypad to application mode, ESC[?1h ESC=, when it sets up a terminal.)
        Assert.Equal($"{image}\r\n", quiet.Output.Replace("\x1b[?1h\x1b=", ""));
    }
}
