using System.Diagnostics;
using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>A SIGKILL at any moment of a pull or a push leaves the store consistent (<c>system check</c> finds no
/// error, only debris that <c>--repair</c> removes), and the same command run again succeeds.</summary>
[Collection("registry")]
public sealed class KillTests(BusyboxTar busybox)
{
    /// <summary>Starts <c>berth ARGS</c>, SIGKILLs it once <paramref name="moment"/> holds (polled, with the lines it
    /// printed so far), and returns whether it was killed before it finished on its own.</summary>
    private static bool KillWhen(Installation i, Func<IReadOnlyList<string>, bool> moment, params string[] args)
    {
        var psi = new ProcessStartInfo(RepoPaths.BerthBinary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in i.Berth.GlobalArgs.Concat(args)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in i.Berth.ExtraEnvironment) psi.Environment[k] = v;
        psi.Environment["BERTH_CGROUP_PARENT"] = i.Berth.CgroupParent;
        using var p = Process.Start(psi)!;
        var lines = new List<string>();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!p.HasExited && DateTime.UtcNow < deadline)
        {
            bool now;
            lock (lines) now = moment(lines.ToList());
            if (now)
            {
                p.Kill();
                p.WaitForExit();
                return true;
            }
            Thread.Sleep(5);
        }
        if (!p.HasExited) p.Kill();
        p.WaitForExit();
        return false;
    }

    private static void AssertConsistent(Installation i)
    {
        var check = i.Run("system", "check");
        Assert.True(check.ExitCode == 0 && check.Stdout.Contains(": ok", StringComparison.Ordinal), check.ToString());
    }

    private static bool Has(string dir, Func<string, bool> match) =>
        Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.TopDirectoryOnly).Any(match);

    [Fact]
    public void SigkillDuringPullAndPushLeavesAConsistentStoreAndTheRetrySucceeds()
    {
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        using var registry = new RegistryServer();
        using var a = new Installation();
        a.Ok("import", busybox.Path, "base:1");
        // Three layers of 16 MB of random bytes over busybox: long enough to be caught mid-way.
        var context = a.Dir.Sub("context");
        var rng = new Random(10);
        foreach (var name in new[] { "one", "two", "three" })
        {
            var data = new byte[16 << 20];
            rng.NextBytes(data);
            File.WriteAllBytes(Path.Combine(context, name + ".bin"), data);
        }
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM base:1\nCOPY one.bin /one.bin\nCOPY two.bin /two.bin\nCOPY three.bin /three.bin\n");
        a.Ok("build", "-t", "big:1", context);

        // Push, killed once it has prepared the layers, and once the first layer is up.
        (string Name, Func<IReadOnlyList<string>, bool> Moment)[] pushMoments =
        [
            ("prepared", l => l.Count(x => x.EndsWith(": Preparing", StringComparison.Ordinal)) == 4),
            ("one pushed", l => l.Any(x => x.EndsWith(": Pushed", StringComparison.Ordinal))),
        ];
        foreach (var (name, moment) in pushMoments)
        {
            // A registry of its own: blobs another push left would be mounted, not pushed.
            using var target = new RegistryServer();
            string image = $"{target.Host}/kill/{name.Replace(' ', '-')}:1";
            a.Ok("tag", "big:1", image);
            Assert.True(KillWhen(a, moment, "push", image), $"push finished before the moment \"{name}\"");
            AssertConsistent(a);
            Assert.Contains("1: digest: sha256:", a.Ok("push", image));
        }

        // Pull, killed as the blobs arrive, as the layers unpack, and once every layer has arrived (the commit).
        string pulled = $"{registry.Host}/kill/app:1";
        a.Ok("tag", "big:1", pulled);
        a.Ok("push", pulled);
        (string Name, Func<Installation, IReadOnlyList<string>, bool> Moment)[] pullMoments =
        [
            ("downloading", (i, _) => Has(i.Berth.Root + "/ingest", f => new FileInfo(f).Length > 0)),
            ("unpacking", (i, _) => Has(i.Berth.Root + "/snapshots", f => Path.GetFileName(f).StartsWith("new-", StringComparison.Ordinal) && Directory.EnumerateFileSystemEntries(f).Any())),
            ("all layers in", (_, l) => l.Count(x => x.EndsWith(": Pull complete", StringComparison.Ordinal)) == 4),
        ];
        foreach (var (name, moment) in pullMoments)
        {
            using var b = new Installation();
            bool killed = KillWhen(b, lines => moment(b, lines), "pull", pulled);
            Assert.True(killed || name == "all layers in", $"pull finished before the moment \"{name}\"");
            AssertConsistent(b);
            Assert.Contains("Status: ", b.Ok("pull", pulled));
            Assert.Equal("ok\n", b.Ok("run", "--rm", pulled, "sh", "-c", "test -s /three.bin && echo ok"));
            b.Ok("system", "check", "--repair");
            b.AssertStoreClean(1);
        }
    }
}
