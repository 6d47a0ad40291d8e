using System.Security.Cryptography;
using Berth.Runtime.Interop;
using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Testing;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;
using static Berth.Interop.Statx;

namespace Berth.Runtime.Tests.Integration;

/// <summary>Known escapes, each tried and each required to fail without touching the host.</summary>
[Collection("containers")]
public sealed class EscapeTests(RuntimeFixture fx)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SymlinkedMountDestinationsStayInsideTheRootfs(bool noOpenat2)
    {
        // CVE-2021-30465: a destination that is (or passes through) a symlink to a host path must be resolved inside
        // the rootfs; the host directory stays untouched.
        fx.Require();
        using var hostA = new TempDirectory("berth-host-a");
        using var hostB = new TempDirectory("berth-host-b");
        File.WriteAllText(hostA.Combine("canary"), "host");
        var id = fx.NextId("symdest");
        using var bundle = fx.Bundle(id, new RunOptions
        {
            Command = ["sh", "-c", "touch /abs/sub/x /rel/y; ls /abs/sub /rel; cat /abs/canary 2>&1 || true; cut -d' ' -f5 /proc/self/mountinfo"],
            Tmpfs = new Dictionary<string, string> { ["/abs/sub"] = "size=1m", ["/rel"] = "size=1m" },
        }, rootfs =>
        {
            File.CreateSymbolicLink(Path.Combine(rootfs, "abs"), hostA.Path);
            File.CreateSymbolicLink(Path.Combine(rootfs, "rel"), "../../../../../../../.." + hostB.Path);
        });
        // Once with openat2 and once with the component walk the init falls back to where openat2 is missing (P1).
        var (status, stdout) = fx.RunToCompletion(bundle, noOpenat2);
        var r = new RunResult(status.ExitCode, stdout, "");
        Assert.True(r.ExitCode == 0, r.ToString());
        // The host directories are untouched: no "sub", no "x", no "y", no mount.
        Assert.Equal(["canary"], Directory.EnumerateFileSystemEntries(hostA.Path).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(hostB.Path));
        Assert.Equal("host", File.ReadAllText(hostA.Combine("canary")));
        Assert.DoesNotContain("\nhost", "\n" + r.Stdout); // the canary is not readable inside
        // Inside, the mounts are at the links' targets resolved in the rootfs, and usable.
        var mounts = r.Stdout.Split('\n');
        Assert.Contains(hostA.Path + "/sub", mounts);
        Assert.Contains(hostB.Path, mounts);
        Assert.Contains("x", mounts);
        Assert.Contains("y", mounts);
        fx.AssertClean(bundle.Path, hostA.Path, hostB.Path);
    }

    [Fact]
    public void AMountRedirectedOntoProcIsRefused()
    {
        // CVE-2019-19921 / CVE-2023-27561: a destination symlinked to /proc/... must not get a bind mount.
        fx.Require();
        using var host = new TempDirectory("berth-bindsrc");
        var id = fx.NextId("procdest");
        using var bundle = fx.Bundle(id, new RunOptions
        {
            Command = ["true"],
            Binds = [new BindMount { Source = host.Path, Destination = "/evil" }],
        }, rootfs => File.CreateSymbolicLink(Path.Combine(rootfs, "evil"), "/proc/sys"));
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("/proc", r.Stderr);
        fx.AssertClean(bundle.Path, host.Path);
    }

    [Fact]
    public void NoDescriptorOfTheCallerLeaksIntoTheContainer()
    {
        // CVE-2024-21626: even a descriptor the caller forgot to mark close-on-exec must not reach the container.
        fx.Require();
        var leaked = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY, 0); // deliberately without O_CLOEXEC
        Assert.True(leaked > 2);
        try
        {
            var id = fx.NextId("fds");
            using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; ls -l /proc/1/fd | grep -c cgroup || true"] });
            using var output = new TempDirectory("berth-out");
            var result = RunCapturing(bundle, id, output);
            Assert.Equal("0 1 2 3 0", result.Trim());
        }
        finally
        {
            close(leaked);
        }
    }

    [Fact]
    public void WorkdirThroughProcSelfFdIsRefused()
    {
        // CVE-2024-21626: WORKDIR /proc/self/fd/N must not put the command's cwd on a host directory.
        fx.Require();
        foreach (var n in new[] { 3, 4, 5, 7, 8 })
        {
            var id = fx.NextId("cwd");
            using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", "pwd; ls .."], WorkingDir = $"/proc/self/fd/{n}" });
            var r = fx.Cli("run", "--bundle", bundle.Path, id);
            // Refused by the init before the command runs: berth's own failure around a container, 125 as docker run's.
            Assert.True(r.ExitCode == 125 && r.Stderr.Contains($"/proc/self/fd/{n}"), r.ToString());
            Assert.DoesNotContain("sys", r.Stdout);
            fx.AssertClean(bundle.Path);
        }
    }

    [Fact]
    public async Task TheInitBinaryCannotBeReopenedForWriting()
    {
        // CVE-2019-5736: a process holding /proc/<init>/exe must not be able to reopen it for writing once the init
        // has exec'd the command; berth's binary is a read-only bind in the container's mount namespace.
        fx.Require();
        var before = SHA256.HashData(File.ReadAllBytes(fx.Berth));
        var id = fx.NextId("exe");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sleep", "30"] });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        var exe = open($"/proc/{c.Pid}/exe", O_PATH | O_CLOEXEC, 0);
        Assert.True(exe >= 0, $"open /proc/{c.Pid}/exe: errno {Last}");
        try
        {
            // It is berth's binary (same inode), seen through the container's read-only bind of it.
            Assert.Equal(0, statx(exe, "", AT_EMPTY_PATH, STATX_BASIC_STATS, out var held));
            Assert.Equal(0, statx(AT_FDCWD, fx.Berth, 0, STATX_BASIC_STATS, out var real));
            Assert.Equal(real.stx_ino, held.stx_ino);
            c.Start(); // the init execs sleep: the binary is no longer busy
            // The kernel checks "text busy" before the mount's read-only flag, so while any process (another test,
            // another berth) executes this binary the answer is ETXTBSY; otherwise it is EROFS. Never success.
            int w, errno;
            var deadline = Environment.TickCount64 + 2000;
            do
            {
                w = open($"/proc/self/fd/{exe}", O_WRONLY | O_CLOEXEC, 0);
                errno = Last;
                if (w >= 0) close(w);
                if (w < 0 && errno == ETXTBSY) Thread.Sleep(10);
            }
            while (w < 0 && errno == ETXTBSY && Environment.TickCount64 < deadline);
            Assert.True(w < 0, "the init binary was reopened for writing");
            Assert.True(errno is EROFS or ETXTBSY, $"errno {errno}");
            // The defence itself: the file the init ran is reached through a read-only mount.
            Assert.True(MountIsReadOnly(exe), "the init's executable is not on a read-only mount");
        }
        finally
        {
            close(exe);
            runtime.Delete(id, force: true);
            await c.WaitAsync(TestContext.Current.CancellationToken);
        }
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(fx.Berth)));
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public async Task TheInitIsNotDumpable()
    {
        // P2: while the init still runs berth, container processes must not open its /proc/<pid>/{exe,fd,mem}. The
        // kernel shows that as ownership: a non-dumpable task's /proc entries belong to root even after it has
        // switched to the container's user, which the init has done by the time create returns.
        fx.Require();
        var id = fx.NextId("dump");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["true"], User = "user" });
        var runtime = fx.Runtime();
        using var c = runtime.Create(id, bundle.Path);
        try
        {
            var status = File.ReadAllText($"/proc/{c.Pid}/status");
            Assert.Contains("Uid:\t1000\t1000\t1000\t1000", status);   // credentials switched before the start
            Assert.Contains("CapBnd:\t00000000a80425fb", status);      // execve clears CapEff for uid 1000
            Assert.Contains("Seccomp:\t2", status);
            Assert.Equal(0, statx(AT_FDCWD, $"/proc/{c.Pid}/fd", 0, STATX_BASIC_STATS, out var st));
            Assert.Equal(0u, st.stx_uid);                                 // non-dumpable: root-owned, not 1000
        }
        finally
        {
            runtime.Delete(id, force: true);
            await c.WaitAsync(TestContext.Current.CancellationToken);
        }
        fx.AssertClean(bundle.Path);
    }

    private static unsafe bool MountIsReadOnly(int fd)
    {
        var buf = stackalloc byte[256];
        Assert.Equal(0, fstatfs(fd, buf));
        return (*(long*)(buf + 80) & 1) != 0; // f_flags & ST_RDONLY
    }

    private string RunCapturing(BusyboxBundle bundle, string id, TempDirectory output)
    {
        var runtime = fx.Runtime();
        var outPath = output.Combine("out");
        using (var file = File.Create(outPath))
        {
            using var c = runtime.Create(id, bundle.Path, new CreateOptions { Stdio = new ContainerStdio { Stdout = file.SafeFileHandle } });
            try
            {
                c.Start();
                var status = c.WaitAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult();
                Assert.Equal(0, status.ExitCode);
            }
            finally
            {
                runtime.Delete(id, force: true);
            }
        }
        fx.AssertClean(bundle.Path);
        return File.ReadAllText(outPath);
    }
}
