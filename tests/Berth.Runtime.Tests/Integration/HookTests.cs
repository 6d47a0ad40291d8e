using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Testing;

namespace Berth.Runtime.Tests.Integration;

/// <summary>OCI hooks (runtime-spec config.md, "POSIX-platform Hooks"): each phase at its point of the lifecycle, in
/// its namespace, with exactly its args and env and the container's state on stdin; failures stop create or are
/// warnings as the spec says; and runc runs the same bundle's hooks the same way.</summary>
[Collection("containers")]
public sealed class HookTests(RuntimeFixture fx) : IDisposable
{
    private readonly TempDirectory _host = new("berth-hooks");

    private static readonly string[] RuntimePhases = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"];

    public void Dispose() => _host.Dispose();

    /// <summary>A host script that appends "PHASE X=$X HOME=${HOME-unset} CWD <state JSON on one line>" to the log,
    /// and fails with "boom" when its second argument is "fail".</summary>
    private string Script()
    {
        var path = _host.Combine("hook.sh");
        File.WriteAllText(path,
            "#!/bin/sh\n" +
            $"echo \"$1 X=$X HOME=${{HOME-unset}} $(pwd) $(tr -d '\\n')\" >> {_host.Combine("log")}\n" +
            "[ \"$2\" = fail ] && { echo boom >&2; exit 3; }\n" +
            "[ \"$2\" = hang ] && exec sleep 30\n" +
            "exit 0\n");
        Run.Tool("chmod", ["755", path]);
        return path;
    }

    private Hook HostHook(string phase, string behaviour = "ok", int? timeout = null) =>
        new() { Path = Script(), Args = ["hook-argv0", phase, behaviour], Env = [$"X={phase}"], Timeout = timeout };

    private List<(string Phase, string X, string PathVar, string Cwd, ContainerState State)> Log()
    {
        var path = _host.Combine("log");
        if (!File.Exists(path)) return [];
        return File.ReadAllLines(path).Select(line =>
        {
            var parts = line.Split(' ', 5);
            var state = RuntimeJson.ParseState(System.Text.Encoding.UTF8.GetBytes(parts[4]));
            return (parts[0], parts[1], parts[2], parts[3], state);
        }).ToList();
    }

    private BusyboxBundle BundleWith(string id, Func<RuntimeSpec, Hooks> hooks, params string[] command)
    {
        var bundle = fx.Bundle(id, new RunOptions { Command = command });
        bundle.Write(bundle.Spec with { Hooks = hooks(bundle.Spec) });
        return bundle;
    }

    [Fact]
    public void EveryPhaseRunsAtItsPointWithTheContainersState()
    {
        fx.Require();
        var id = fx.NextId("hooks");
        using var bundle = BundleWith(id, _ => new Hooks
        {
            Prestart = [HostHook("prestart")],
            CreateRuntime = [HostHook("createRuntime")],
            // In the container's mount namespace before pivot_root, in the rootfs: the file lands in the container.
            CreateContainer = [HostHook("createContainer"), new Hook { Path = "/bin/sh", Args = ["sh", "-c", "echo made-before-pivot > created-by-hook"] }],
            // Inside the container, right before the command: its paths are the container's.
            StartContainer = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "echo \"$(cat | tr -d '\\n ') $Y\" > /started-by-hook"], Env = ["Y=inside"] }],
            Poststart = [HostHook("poststart")],
            Poststop = [HostHook("poststop")],
        }, "sh", "-c", "cat /created-by-hook /started-by-hook");

        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("made-before-pivot", r.Stdout);
        Assert.Contains($"\"id\":\"{id}\",\"status\":\"created\",\"pid\":1,", r.Stdout);
        Assert.Contains(" inside", r.Stdout);

        var log = Log();
        Assert.Equal(RuntimePhases, log.Select(l => l.Phase));
        foreach (var entry in log)
        {
            Assert.Equal($"X={entry.Phase}", entry.X);           // env exactly as given…
            Assert.Equal("HOME=unset", entry.PathVar);            // …and nothing else (the test has a HOME)
            Assert.Equal(id, entry.State.Id);
            Assert.Equal(bundle.Path, entry.State.Bundle);
        }
        var byPhase = log.ToDictionary(l => l.Phase);
        Assert.Equal(ContainerState.Creating, byPhase["prestart"].State.Status);
        Assert.Equal(ContainerState.Creating, byPhase["createRuntime"].State.Status);
        Assert.Equal(ContainerState.Creating, byPhase["createContainer"].State.Status);
        Assert.Equal(ContainerState.Running, byPhase["poststart"].State.Status);
        Assert.Equal(ContainerState.Stopped, byPhase["poststop"].State.Status);
        // The runtime's hooks see the init's host PID; createContainer runs in the init's PID namespace.
        Assert.True(byPhase["prestart"].State.Pid > 1);
        Assert.Equal(byPhase["prestart"].State.Pid, byPhase["createRuntime"].State.Pid);
        Assert.Equal(byPhase["prestart"].State.Pid, byPhase["poststart"].State.Pid);
        Assert.Equal(1, byPhase["createContainer"].State.Pid);
        Assert.Null(byPhase["poststop"].State.Pid);
        // As runc: the runtime's hooks run in the bundle, createContainer in the rootfs.
        Assert.Equal(bundle.Rootfs, byPhase["createContainer"].Cwd);
        Assert.All(log.Where(l => l.Phase != "createContainer"), l => Assert.Equal(bundle.Path, l.Cwd));
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void AFailingCreateHookStopsCreateAndLeavesNothing()
    {
        fx.Require();
        var id = fx.NextId("hookfail");
        using var bundle = BundleWith(id, _ => new Hooks { CreateRuntime = [HostHook("createRuntime", "fail")], Poststart = [HostHook("poststart")] }, "true");
        var r = fx.Cli("create", "--bundle", bundle.Path, id);
        // create fails as runc's does: 1.
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("createRuntime hook #0", r.Stderr);
        Assert.Contains("exit status 3", r.Stderr);
        Assert.Contains("boom", r.Stderr);
        Assert.Equal(["createRuntime"], Log().Select(l => l.Phase));
        Assert.Equal(1, fx.Cli("state", id).ExitCode);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void AFailingStartContainerHookIsTheStartsError()
    {
        fx.Require();
        var id = fx.NextId("hookstart");
        using var bundle = BundleWith(id, _ => new Hooks { StartContainer = [new Hook { Path = "/bin/false" }] }, "echo", "must not run");
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        // run fails before the command ran: berth's own failure around a container, 125 as docker run's.
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("startContainer hook #0", r.Stderr);
        Assert.DoesNotContain("must not run", r.Stdout);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void AHookPastItsTimeoutIsKilled()
    {
        fx.Require();
        var id = fx.NextId("hooktime");
        using var bundle = BundleWith(id, _ => new Hooks { Prestart = [HostHook("prestart", "hang", timeout: 1)] }, "true");
        var started = DateTime.UtcNow;
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("prestart hook #0", r.Stderr);
        Assert.Contains("timeout after 1 seconds", r.Stderr);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the hung hook was not killed");
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void PoststartAndPoststopFailuresAreWarnings()
    {
        fx.Require();
        var id = fx.NextId("hookwarn");
        using var bundle = BundleWith(id, _ => new Hooks
        {
            Poststart = [HostHook("poststart", "fail"), HostHook("poststart")],
            Poststop = [HostHook("poststop", "fail")],
        }, "echo", "ran");
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("ran", r.Stdout);
        Assert.Contains("warning: error running poststart hook #0", r.Stderr);
        Assert.Contains("warning: error running poststop hook #0", r.Stderr);
        // The remaining hooks of the phase still run.
        Assert.Equal(["poststart", "poststart", "poststop"], Log().Select(l => l.Phase));
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void AHookPathMustBeAbsolute()
    {
        fx.Require();
        var id = fx.NextId("hookrel");
        using var bundle = BundleWith(id, _ => new Hooks { Poststop = [new Hook { Path = "bin/true" }] }, "true");
        var r = fx.Cli("create", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("hooks.poststop[0].path \"bin/true\" must be an absolute path", r.Stderr);
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void RuncRunsTheSameHooksTheSameWay()
    {
        fx.Require();
        HostCapabilities.RequireTool("runc");
        var id = fx.NextId("hookrunc");
        using var bundle = BundleWith(id, _ => new Hooks
        {
            Prestart = [HostHook("prestart")],
            CreateRuntime = [HostHook("createRuntime")],
            CreateContainer = [HostHook("createContainer")],
            Poststart = [HostHook("poststart")],
            Poststop = [HostHook("poststop")],
        }, "true");
        var ours = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(ours.ExitCode == 0, ours.ToString());
        var berthLog = Log();
        File.Delete(_host.Combine("log"));
        var theirs = fx.Runc(bundle.Path, id);
        Assert.True(theirs.ExitCode == 0, theirs.ToString());
        var runcLog = Log();
        Assert.Equal(runcLog.Select(l => (l.Phase, l.X, l.PathVar, l.Cwd)), berthLog.Select(l => (l.Phase, l.X, l.PathVar, l.Cwd)));
        foreach (var (b, c) in berthLog.Zip(runcLog))
        {
            Assert.Equal(c.State.Bundle, b.State.Bundle);
            Assert.Equal(c.State.Pid is null, b.State.Pid is null);
        }
        fx.AssertClean(bundle.Path);
    }
}
