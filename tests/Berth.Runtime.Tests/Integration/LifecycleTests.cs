using System.Net.Sockets;
using System.Text;
using Berth.Runtime.Interop;
using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Testing;
using Berth.Interop;

namespace Berth.Runtime.Tests.Integration;

/// <summary>The OCI runtime command line: create → start → state → kill → delete, across separate processes, with
/// the OCI state document and runc's errors.</summary>
[Collection("containers")]
public sealed class LifecycleTests(RuntimeFixture fx)
{
    private ContainerState State(string id)
    {
        var r = fx.Cli("state", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        var errors = OciSchemaValidator.Validate("oci-runtime-schema/state-schema.json", r.Stdout);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return RuntimeJson.ParseState(Encoding.UTF8.GetBytes(r.Stdout));
    }

    [Fact]
    public void CreateStartStateKillDeleteAcrossProcesses()
    {
        // Each verb is its own berth process, as containerd or a shell script drives runc.
        fx.Require();
        var id = fx.NextId("life");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sleep", "60"] });
        using var pidFile = new TempDirectory("berth-pid");
        var create = fx.CliDetached("create", "--bundle", bundle.Path, "--pid-file", pidFile.Combine("pid"), id);
        Assert.True(create.ExitCode == 0, create.ToString());
        try
        {
            var created = State(id);
            Assert.Equal(ContainerState.Created, created.Status);
            Assert.Equal(bundle.Path, created.Bundle);
            Assert.Equal(File.ReadAllText(pidFile.Combine("pid")), created.Pid.ToString());
            Assert.Contains("berth", File.ReadAllText($"/proc/{created.Pid}/comm")); // the init waits, not yet the command

            var again = fx.CliDetached("create", "--bundle", bundle.Path, id);
            Assert.True(again.ExitCode == 1 && again.Stderr.Contains("already exists"), again.ToString());

            var start = fx.Cli("start", id);
            Assert.True(start.ExitCode == 0, start.ToString());
            var running = State(id);
            Assert.Equal(ContainerState.Running, running.Status);
            Assert.Equal(created.Pid, running.Pid);
            Assert.Equal("sleep", File.ReadAllText($"/proc/{running.Pid}/comm").Trim());

            var restart = fx.Cli("start", id);
            Assert.True(restart.ExitCode == 1, restart.ToString());
            var deleteRunning = fx.Cli("delete", id);
            Assert.True(deleteRunning.ExitCode == 1 && deleteRunning.Stderr.Contains("not stopped"), deleteRunning.ToString());
            Assert.Contains(fx.Cli("list").Stdout, s => s == '{');

            var kill = fx.Cli("kill", id, "KILL");
            Assert.True(kill.ExitCode == 0, kill.ToString());
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (State(id).Status != ContainerState.Stopped && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.Equal(ContainerState.Stopped, State(id).Status);
            var killStopped = fx.Cli("kill", id, "TERM");
            Assert.True(killStopped.ExitCode == 1, killStopped.ToString());
        }
        finally
        {
            var delete = fx.Cli("delete", "--force", id);
            Assert.True(delete.ExitCode == 0, delete.ToString());
        }
        Assert.True(fx.Cli("state", id).ExitCode == 1);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void DeleteForceStopsARunningContainer()
    {
        // delete --force of a running container kills it and removes everything.
        fx.Require();
        var id = fx.NextId("force");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sleep", "60"] });
        Assert.Equal(0, fx.CliDetached("create", "--bundle", bundle.Path, id).ExitCode);
        Assert.Equal(0, fx.Cli("start", id).ExitCode);
        var pid = State(id).Pid!.Value;
        var r = fx.Cli("delete", "--force", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        // Gone, or a zombie waiting for the host's init to reap it (its parent, the CLI, has exited).
        var stat = File.Exists($"/proc/{pid}/stat") ? File.ReadAllText($"/proc/{pid}/stat") : null;
        Assert.True(stat is null || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'), stat);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void DeleteOfACreatedContainerNeedsNoForce()
    {
        // runc deletes a created (never started) container: its init is killed.
        fx.Require();
        var id = fx.NextId("created");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["true"] });
        Assert.Equal(0, fx.CliDetached("create", "--bundle", bundle.Path, id).ExitCode);
        var r = fx.Cli("delete", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void BadInputFailsCleanly()
    {
        // Unknown container, missing bundle, invalid ID, bad user: a clear error and nothing left behind.
        fx.Require();
        Assert.Contains("does not exist", fx.Cli("state", "nope").Stderr);
        Assert.Equal(1, fx.Cli("start", "nope").ExitCode);
        using var empty = new TempDirectory("berth-nobundle");
        var noConfig = fx.Cli("run", "--bundle", empty.Path, "x1");
        Assert.True(noConfig.ExitCode == 125 && noConfig.Stderr.Contains("config.json"), noConfig.ToString());
        var badId = fx.Cli("run", "--bundle", empty.Path, "../x");
        Assert.True(badId.ExitCode == 125 && badId.Stderr.Contains("invalid container ID"), badId.ToString());
        fx.AssertClean(empty.Path);
    }

    [Fact]
    public void RunWithATerminalGivesThePtyToTheCommand()
    {
        // process.terminal: berth allocates the pty in the container's devpts and copies it to its own stdio.
        fx.Require();
        var id = fx.NextId("tty");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo interactive; echo $TERM"], Terminal = true });
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("/dev/pts/0", r.Stdout);
        Assert.Contains("interactive", r.Stdout);
        Assert.Contains("xterm", r.Stdout);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task ConsoleSocketReceivesThePtyMaster()
    {
        // runc's --console-socket protocol: the master arrives over a unix socket as SCM_RIGHTS, so a shim can hold
        // the terminal while the CLI that created the container exits.
        fx.Require();
        var id = fx.NextId("csock");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "echo hello-from-pty; sleep 1"], Terminal = true });
        using var dir = new TempDirectory("berth-csock");
        var path = dir.Combine("console.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var accept = listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask();
        var create = fx.CliDetached("create", "--bundle", bundle.Path, "--console-socket", path, id);
        Assert.True(create.ExitCode == 0, create.ToString());
        try
        {
            using var conn = await accept;
            using var handle = new SafeFdHandle((int)conn.Handle, ownsHandle: false);
            var buf = new byte[256];
            Interop.Interop.ReceiveWithFd(handle, buf, out var master);
            Assert.NotNull(master);
            using (master)
            {
                Assert.Equal(0, fx.Cli("start", id).ExitCode);
                using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(master!.DangerousGetHandle(), false), FileAccess.Read, 1);
                var text = new StringBuilder();
                var chunk = new byte[256];
                while (!text.ToString().Contains("hello-from-pty"))
                {
                    var n = stream.Read(chunk);
                    if (n <= 0) break;
                    text.Append(Encoding.UTF8.GetString(chunk, 0, n));
                }
                Assert.Contains("hello-from-pty", text.ToString());
            }
        }
        finally
        {
            Assert.Equal(0, fx.Cli("delete", "--force", id).ExitCode);
        }
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task LibraryApiRunsACommandAndReportsItsStatus()
    {
        // The API the engine calls: Create → Start → WaitAsync → Delete, stdio given as descriptors.
        fx.Require();
        var id = fx.NextId("api");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "read line; echo got:$line; exit 7"] });
        using var dir = new TempDirectory("berth-api");
        File.WriteAllText(dir.Combine("in"), "ping\n");
        var runtime = fx.Runtime();
        using (var stdin = File.OpenRead(dir.Combine("in")))
        using (var stdout = File.Create(dir.Combine("out")))
        using (var c = runtime.Create(id, bundle.Path, new CreateOptions { Stdio = new ContainerStdio { Stdin = stdin.SafeFileHandle, Stdout = stdout.SafeFileHandle } }))
        {
            Assert.Equal(ContainerState.Created, runtime.State(id).Status);
            c.Start();
            var status = await c.WaitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(new ExitStatus(7, null, false), status);
            runtime.Delete(id);
        }
        Assert.Equal("got:ping\n", File.ReadAllText(dir.Combine("out")));
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void ExecFailureSurfacesFromCreate()
    {
        // A command that is not there fails create with exit code 127 in the exception, and leaves nothing.
        fx.Require();
        var id = fx.NextId("nocmd");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["nope"] });
        var e = Assert.Throws<ContainerExecException>(() => fx.Runtime().Create(id, bundle.Path));
        Assert.Equal(127, e.ExitCode);
        Assert.Contains("executable file not found", e.Message);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void ReadOnlyRootfsAndBindsAndTmpfs()
    {
        // --read-only, -v host:ctr:ro, -v host:ctr and --tmpfs behave as under Docker.
        fx.Require();
        using var ro = new TempDirectory("berth-ro");
        using var rw = new TempDirectory("berth-rw");
        File.WriteAllText(ro.Combine("f"), "data");
        var id = fx.NextId("mounts");
        using var bundle = fx.Bundle(id, new RunOptions
        {
            Command = ["sh", "-c", "cat /ro/f; (echo x > /ro/g) 2>/dev/null && echo ro-writable; echo y > /rw/h; (touch /newfile) 2>/dev/null && echo root-writable; touch /scratch/ok && echo tmpfs-ok"],
            ReadOnlyRootfs = true,
            Binds = [new BindMount { Source = ro.Path, Destination = "/ro", ReadOnly = true }, new BindMount { Source = rw.Path, Destination = "/rw" }],
            Tmpfs = new Dictionary<string, string> { ["/scratch"] = "size=1m" },
        });
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("datatmpfs-ok\n", r.Stdout);
        Assert.Equal("y\n", File.ReadAllText(rw.Combine("h")));
        Assert.False(File.Exists(ro.Combine("g")));
        fx.AssertClean(bundle.Path, ro.Path, rw.Path);
    }

    [Fact]
    public void SysctlsAreWrittenInTheContainersNamespacesOnly()
    {
        // --sysctl net.ipv4.ip_forward=1 changes the container's network namespace, not the host's, and /proc/sys
        // is read-only again afterwards.
        fx.Require();
        var host = File.ReadAllText("/proc/sys/net/ipv4/ip_forward");
        var id = fx.NextId("sysctl");
        using var bundle = fx.Bundle(id, new RunOptions
        {
            Command = ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward; (echo 0 > /proc/sys/net/ipv4/ip_forward) 2>/dev/null || echo ro"],
            Sysctls = new Dictionary<string, string> { ["net.ipv4.ip_forward"] = host.Trim() == "1" ? "0" : "1" },
        });
        var (status, output) = fx.RunToCompletion(bundle);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal($"{(host.Trim() == "1" ? "0" : "1")}\nro\n", output);
        Assert.Equal(host, File.ReadAllText("/proc/sys/net/ipv4/ip_forward"));
        fx.AssertClean(bundle.Path);
    }
}
