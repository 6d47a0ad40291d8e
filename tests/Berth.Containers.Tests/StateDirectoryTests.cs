using System.Text.Json;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>The state directory (<c>--state-dir</c>, default /run/berth): what dies with a boot. berth must work
/// from an empty one (a machine that has just booted), survive losing it under running containers (a reboot), and
/// two installations must not see each other.</summary>
[Collection("containers")]
public sealed class StateDirectoryTests(BusyboxFixture image)
{
    private static int PidOf(ContainerStore s, string name, string field)
    {
        using var doc = JsonDocument.Parse(s.Ok("inspect", name));
        return doc.RootElement[0].GetProperty("State").GetProperty(field).GetInt32();
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void EveryKindOfRunWorksFromAnEmptyStateDirectory()
    {
        using var s = new ContainerStore(image);
        Assert.False(Directory.Exists(s.Berth.StateDir), "the fixture must start with no state directory");
        // The first command after a boot is often an attached `run --rm`: it failed when the attach directory was
        // missing (it removed a socket file there).
        var r = s.Run("run", "--rm", "busybox", "echo", "hello");
        Assert.True(r.ExitCode == 0 && r.Stdout == "hello\n", r.ToString());
        Assert.True(Directory.Exists(s.Berth.StateDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(s.Berth.StateDir, "runtime")));

        // Each of these creates what it needs on its own, from nothing.
        Directory.Delete(s.Berth.StateDir, recursive: true);
        var id = s.Ok("run", "-d", "--name", "d", "busybox", "sleep", "60").Trim();
        Assert.True(File.Exists(s.AttachSocketOf(id)) || WaitFor(() => File.Exists(s.AttachSocketOf(id))), "the monitor serves attach in the state directory");
        Assert.Equal("in\n", s.Ok("exec", "d", "echo", "in"));
        s.Ok("rm", "-f", "d");
        Directory.Delete(s.Berth.StateDir, recursive: true);
        s.Ok("create", "--name", "c", "busybox", "true");
        s.Ok("start", "-a", "c");
        s.Ok("rm", "c");
        s.AssertClean([id]);
    }

    [Fact]
    public void AfterARebootRunningContainersAreExitedAndStartAgain()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "survivor", "busybox", "sleep", "300");
        var pid = PidOf(s, "survivor", "Pid");
        var monitor = File.ReadAllText($"/proc/{pid}/stat").Split(' ')[3];

        // A power cut: every process gone at once, then a boot with an empty state directory and no cgroups.
        Run.Tool("kill", ["-9", monitor, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(WaitFor(() => !Directory.Exists($"/proc/{pid}")), "the container's init did not die");
        Directory.Delete(s.Berth.StateDir, recursive: true);
        s.Berth.Dispose(); // removes the (now empty) cgroups, as a boot would
        Assert.True(WaitFor(() => s.Berth.LeftoverCgroups().Count == 0 || RemoveCgroups(s)), string.Join(", ", s.Berth.LeftoverCgroups()));

        Assert.Contains("Exited (255)", s.Ok("ps", "-a", "--filter", "name=survivor"));
        s.Ok("start", "survivor");
        Assert.Contains("Up ", s.Ok("ps", "--filter", "name=survivor"));
        Assert.Equal("again\n", s.Ok("exec", "survivor", "echo", "again"));
        s.Ok("rm", "-f", "survivor");
    }

    [Fact]
    public void TwoInstallationsDoNotSeeEachOther()
    {
        using var a = new ContainerStore(image);
        using var b = new ContainerStore(image);
        var idA = a.Ok("run", "-d", "--name", "same", "busybox", "sleep", "60").Trim();
        var idB = b.Ok("run", "-d", "--name", "same", "busybox", "sleep", "60").Trim();
        Assert.NotEqual(idA, idB);
        Assert.Equal([idA], a.AllIds());
        Assert.Equal([idB], b.AllIds());
        Assert.True(File.Exists(a.AttachSocketOf(idA)) || WaitFor(() => File.Exists(a.AttachSocketOf(idA))));
        Assert.False(File.Exists(b.AttachSocketOf(idA)));
        a.Ok("rm", "-f", "same");
        Assert.Contains("same", b.Ok("ps"));
        b.Ok("rm", "-f", "same");
    }

    private static bool RemoveCgroups(ContainerStore s)
    {
        foreach (var dir in s.Berth.LeftoverCgroups().OrderByDescending(d => d.Length))
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (IOException)
            {
                return false;
            }
        }
        s.Berth.Dispose();
        return s.Berth.LeftoverCgroups().Count == 0;
    }

    private static bool WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(20);
        }
        return true;
    }
}
