using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Testing;

namespace Berth.Runtime.Tests.Integration;

/// <summary><see cref="ContainerRuntime.Exec"/> (joining a running container) and the <c>--init</c> reaper.</summary>
[Collection("containers")]
public sealed class ExecAndInitTests(RuntimeFixture fx)
{
    private static string Field(string status, string name) =>
        status.Split('\n').First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split('\t', 2)[1].Trim();

    private static (ExitStatus Status, string Output) Exec(ContainerRuntime runtime, string id, ProcessSpec process)
    {
        using var dir = new TempDirectory("berth-exec");
        ExitStatus status;
        using (var stdout = File.Create(dir.Combine("out")))
        using (var p = runtime.Exec(id, process, new ExecOptions { Stdio = new ContainerStdio { Stdout = stdout.SafeFileHandle, Stderr = stdout.SafeFileHandle } }))
        {
            status = p.Wait();
        }
        return (status, File.ReadAllText(dir.Combine("out")));
    }

    [Fact]
    public void ExecRunsUnderTheContainersSeccompFilterCapabilitiesAndUser()
    {
        // An exec'd process must be confined exactly like the init's command: the same seccomp filter (without it a
        // `docker exec` could unshare, mount or keyctl), the same capabilities, and the user it asks for.
        fx.Require();
        var id = fx.NextId("exec");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sleep", "100"], Hostname = "joined" });
        var runtime = fx.Runtime();
        using (var c = runtime.Create(id, bundle.Path))
        try
        {
            c.Start();
            var spec = ContainerRuntime.LoadSpec(bundle.Path).Process!;
            var (status, output) = Exec(runtime, id, spec with { Args = ["sh", "-c", "cat /proc/self/status; hostname; echo pid1=$(cat /proc/1/comm)"] });
            Assert.Equal(0, status.ExitCode);
            Assert.Equal("2", Field(output, "Seccomp"));
            Assert.Equal("00000000a80425fb", Field(output, "CapEff"));
            Assert.Equal("00000000a80425fb", Field(output, "CapBnd"));
            Assert.Contains("joined\n", output);
            Assert.Contains("pid1=sleep", output);

            // The filter is the container's: unshare is refused, as in the container itself.
            var (denied, deniedOut) = Exec(runtime, id, spec with { Args = ["unshare", "-m", "true"] });
            Assert.Equal(1, denied.ExitCode);
            Assert.Contains("Operation not permitted", deniedOut);

            var (asUser, userOut) = Exec(runtime, id, spec with { Args = ["sh", "-c", "id -u; cat /proc/self/status"], User = new UserSpec { Uid = 1000, Gid = 1000 } });
            Assert.Equal(0, asUser.ExitCode);
            Assert.StartsWith("1000\n", userOut);
            Assert.Equal("0000000000000000", Field(userOut, "CapEff"));
            Assert.Equal("2", Field(userOut, "Seccomp"));

            var notFound = Assert.Throws<ContainerExecException>(() => runtime.Exec(id, spec with { Args = ["nosuchcommand"] }));
            Assert.Equal(127, notFound.ExitCode);
            var notExecutable = Assert.Throws<ContainerExecException>(() => runtime.Exec(id, spec with { Args = ["/etc/passwd"] }));
            Assert.Equal(126, notExecutable.ExitCode);
            Assert.Equal(7, Exec(runtime, id, spec with { Args = ["sh", "-c", "exit 7"] }).Status.ExitCode);
        }
        finally
        {
            runtime.Delete(id, force: true);
        }
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void ExecOfAStoppedOrUnknownContainerFails()
    {
        // Joining needs a running init; a recycled PID must never be joined.
        fx.Require();
        var runtime = fx.Runtime();
        Assert.Equal(Oci.Errors.ErrorKind.NotFound, Assert.Throws<Oci.Errors.BerthException>(() => runtime.Exec("nosuch", new ProcessSpec { Args = ["true"] })).Kind);
        var id = fx.NextId("exec-created");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["true"] });
        using (runtime.Create(id, bundle.Path))
        {
            Assert.Equal(Oci.Errors.ErrorKind.Conflict, Assert.Throws<Oci.Errors.BerthException>(() => runtime.Exec(id, new ProcessSpec { Args = ["true"] })).Kind);
            runtime.Delete(id, force: true);
        }
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task InitStaysPid1ReapsOrphansAndExitsWithTheCommandsStatus()
    {
        // --init: a reaping PID 1 (tini's job) so that orphans do not pile up as zombies, and the command's code is
        // the container's.
        fx.Require();
        var id = fx.NextId("init");
        // The orphan is first seen reparented to PID 1, then killed: it stays a zombie (state Z) until PID 1 reaps
        // it, so "gone" proves the reaping. Each wait is bounded (10 s) and waits for the state, not for time.
        const string script = """
            (sleep 1000 &)
            for i in $(seq 1000); do pid=$(pidof sleep) && [ "$(cut -d' ' -f4 /proc/$pid/stat)" = 1 ] && break; sleep 0.01; done
            echo orphan-ppid=$(cut -d' ' -f4 /proc/$pid/stat)
            kill $pid
            for i in $(seq 1000); do [ -e /proc/$pid ] || break; sleep 0.01; done
            echo orphan-after-kill=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo gone)
            ps -o pid,stat,comm; echo self=$$; exit 5
            """;
        using var bundle = fx.Bundle(id, new RunOptions { Init = true, Command = ["sh", "-c", script] });
        using var dir = new TempDirectory("berth-init");
        var runtime = fx.Runtime();
        using (var stdout = File.Create(dir.Combine("out")))
        using (var c = runtime.Create(id, bundle.Path, new CreateOptions { Stdio = new ContainerStdio { Stdout = stdout.SafeFileHandle, Stderr = stdout.SafeFileHandle } }))
        {
            c.Start();
            var status = await c.WaitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(5, status.ExitCode);
            runtime.Delete(id);
        }
        var output = File.ReadAllText(dir.Combine("out"));
        var ps = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length == 3).ToList();
        Assert.Contains("orphan-ppid=1\n", output);
        Assert.Contains("orphan-after-kill=gone\n", output);
        Assert.Contains(ps, f => f[0] == "1" && f[2] == "berth");
        Assert.DoesNotContain(ps, f => f[1].StartsWith('Z'));
        Assert.DoesNotContain("self=1\n", output);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task InitForwardsSignalsToTheCommand()
    {
        // A signal to the container (stop, kill) reaches the command through the init, which the command can handle.
        fx.Require();
        var id = fx.NextId("init-sig");
        using var bundle = fx.Bundle(id, new RunOptions { Init = true, Command = ["sh", "-c", "trap 'exit 3' TERM; echo ready; while true; do sleep 0.05; done"] });
        using var dir = new TempDirectory("berth-init-sig");
        var runtime = fx.Runtime();
        using (var stdout = new FileStream(dir.Combine("out"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        using (var c = runtime.Create(id, bundle.Path, new CreateOptions { Stdio = new ContainerStdio { Stdout = stdout.SafeFileHandle } }))
        {
            c.Start();
            // The trap is set once "ready" is out: a TERM before that would kill the shell with 143, not 3.
            Wait.For(() => File.ReadAllText(dir.Combine("out")) == "ready\n", "the command's trap");
            runtime.Kill(id, 15);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            Assert.Equal(3, (await c.WaitAsync(cts.Token)).ExitCode);
            runtime.Delete(id);
        }
        fx.AssertClean(bundle.Path);
    }
}
