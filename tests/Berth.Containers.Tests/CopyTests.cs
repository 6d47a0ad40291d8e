using System.Formats.Tar;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary><c>cp</c> (issue 13): both directions with docker's path rules, running and stopped containers, tar
/// streams on stdin/stdout, and hostile paths that must stay inside the container's root.</summary>
[Collection("containers")]
public sealed class CopyTests(BusyboxFixture image)
{
    private const string Setup = "mkdir -p /d/sub; echo a > /d/a; echo b > /d/sub/b; ln -s a /d/lnk; ";

    [Fact]
    public void CopiesOutOfARunningContainerByDockersPathRules()
    {
        // docker cp's rules are what scripts rely on: a missing destination takes the source's place, an existing
        // directory receives it, "SRC/." copies the content.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "c", "busybox", "sh", "-c", Setup + "touch /ready; sleep 600");
        WaitForFile(s, "c", "/ready");
        var host = s.Dir.Combine("host");
        Directory.CreateDirectory(host);

        s.Ok("cp", "c:/d", Path.Combine(host, "new"));
        Assert.Equal(["a", "lnk", "sub", "sub/b"], Tree(Path.Combine(host, "new")));
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(host, "new", "sub", "b")));
        Assert.Equal("a", new FileInfo(Path.Combine(host, "new", "lnk")).LinkTarget);

        Directory.CreateDirectory(Path.Combine(host, "existing"));
        s.Ok("cp", "c:/d", Path.Combine(host, "existing"));
        Assert.Equal(["d", "d/a", "d/lnk", "d/sub", "d/sub/b"], Tree(Path.Combine(host, "existing")));

        Directory.CreateDirectory(Path.Combine(host, "content"));
        s.Ok("cp", "c:/d/.", Path.Combine(host, "content"));
        Assert.Equal(["a", "lnk", "sub", "sub/b"], Tree(Path.Combine(host, "content")));

        File.WriteAllText(Path.Combine(host, "file"), "old");
        s.Ok("cp", "c:/d/a", Path.Combine(host, "file"));
        Assert.Equal("a\n", File.ReadAllText(Path.Combine(host, "file")));
        // -L copies what the link points at, under the link's name.
        s.Ok("cp", "-L", "c:/d/lnk", Path.Combine(host, "followed"));
        Assert.Equal("a\n", File.ReadAllText(Path.Combine(host, "followed")));

        AssertFails(s.Run("cp", "c:/nope", host), "Could not find the file /nope in container c");
        AssertFails(s.Run("cp", "c:/d/a", Path.Combine(host, "nodir") + "/"), "no such directory");
        AssertFails(s.Run("cp", "c:/d", Path.Combine(host, "file")), "cannot copy directory");
        AssertFails(s.Run("cp", "c:/a", "c:/b"), "copying between containers is not supported");
        AssertFails(s.Run("cp", "a", "b"), "must specify at least one container source");
        AssertFails(s.Run("cp", "nope:/a", host), "No such container: nope");
        Assert.Equal(125, s.Run("cp", "c:/a").ExitCode);
    }

    [Fact]
    public void CopiesIntoRunningAndStoppedContainers()
    {
        using var s = new ContainerStore(image);
        var host = s.Dir.Combine("host");
        Directory.CreateDirectory(Path.Combine(host, "tree", "x"));
        File.WriteAllText(Path.Combine(host, "tree", "x", "y"), "y");
        File.WriteAllText(Path.Combine(host, "f"), "f");
        s.Ok("run", "-d", "--name", "c", "busybox", "sh", "-c", Setup + "touch /ready; sleep 600");
        WaitForFile(s, "c", "/ready");

        s.Ok("cp", Path.Combine(host, "f"), "c:/d/");
        s.Ok("cp", Path.Combine(host, "f"), "c:/renamed");
        s.Ok("cp", Path.Combine(host, "tree"), "c:/newtree");
        s.Ok("cp", Path.Combine(host, "tree") + "/.", "c:/d");
        Assert.Equal("ffyy\n", s.Ok("exec", "c", "sh", "-c", "echo $(cat /d/f /renamed /newtree/x/y /d/x/y)"));
        AssertFails(s.Run("cp", Path.Combine(host, "nope"), "c:/"), $"lstat {Path.Combine(host, "nope")}: no such file or directory");
        AssertFails(s.Run("cp", Path.Combine(host, "tree"), "c:/d/a"), "cannot copy directory");

        // A stopped container: the copy lands in its filesystem and is there when it starts.
        s.Ok("create", "--name", "stopped", "busybox", "cat", "/etc/copied");
        s.Ok("cp", Path.Combine(host, "f"), "stopped:/etc/copied");
        Assert.Equal("f", s.Ok("start", "-a", "stopped"));
        var back = Path.Combine(host, "back");
        s.Ok("cp", "stopped:/etc/copied", back);
        Assert.Equal("f", File.ReadAllText(back));
    }

    [Fact]
    public void TarStreamsGoThroughStdinAndStdout()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "c", "busybox", "sh", "-c", Setup + "touch /ready; sleep 600");
        WaitForFile(s, "c", "/ready");
        var listing = Run.Shell($"{s.Berth.CommandLine} cp c:/d - | tar -tvf -");
        Assert.Equal(0, listing.ExitCode);
        var names = listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[5]).ToList();
        Assert.Equal(["d/", "d/a", "d/lnk", "d/sub/", "d/sub/b"], names);

        var tar = s.Dir.Combine("in.tar");
        using (var file = File.Create(tar))
        using (var writer = new TarWriter(file, TarEntryFormat.Pax))
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "dir/in") { DataStream = new MemoryStream("in"u8.ToArray()), Uid = 1234, Gid = 4321, Mode = (UnixFileMode)0x1ED });
        s.Berth.RunWithStdin(tar, "cp", "-", "c:/d").AssertExit(0);
        Assert.Equal("in 1234:4321 755\n", s.Ok("exec", "c", "sh", "-c", "echo $(cat /d/dir/in) $(stat -c %u:%g /d/dir/in) $(stat -c %a /d/dir/in)"));
        AssertFails(s.Berth.RunWithStdin(tar, "cp", "-", "c:/d/a"), "destination \"c:/d/a\" must be a directory");
    }

    [Fact]
    public void ArchiveModeGivesTheContainersUser()
    {
        // docker cp -a: the copied files belong to the container's user, not to whoever owned them on the host.
        using var s = new ContainerStore(image);
        var f = s.Dir.Combine("owned");
        File.WriteAllText(f, "x");
        Run.Tool("chown", ["777:888", f]).AssertExit(0);
        s.Ok("run", "-d", "--name", "c", "-u", "55:66", "busybox", "sh", "-c", "mkdir -p /tmp/in; touch /tmp/ready; sleep 600");
        WaitForFile(s, "c", "/tmp/ready");
        s.Ok("cp", f, "c:/tmp/plain");
        s.Ok("cp", "-a", f, "c:/tmp/archived");
        Assert.Equal("777:888 55:66\n", s.Ok("exec", "c", "sh", "-c", "echo $(stat -c %u:%g /tmp/plain) $(stat -c %u:%g /tmp/archived)"));
    }

    [Fact]
    public void HostilePathsStayInsideTheContainersRoot()
    {
        // A container's symlinks and ".." are the container's: they must never reach the host, in either direction.
        using var s = new ContainerStore(image);
        var outside = s.Dir.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "sentinel"), "host secret");
        var host = s.Dir.Combine("host");
        Directory.CreateDirectory(host);
        File.WriteAllText(Path.Combine(host, "sentinel"), "from host");

        foreach (var running in new[] { true, false })
        {
            var name = running ? "up" : "down";
            // The container has a directory of the same name as the host's: links to it resolve to the container's.
            var script = $"mkdir -p /jail {outside}; ln -s {outside} /escape; ln -s /etc /etclink; echo marker-{name}:x:1:1::/:/bin/sh >> /etc/passwd; ln -s ../../../../../../{outside.TrimStart('/')} /jail/rel; touch /ready";
            if (running)
            {
                s.Ok("run", "-d", "--name", name, "busybox", "sh", "-c", script + "; sleep 600");
                WaitForFile(s, name, "/ready");
            }
            else
            {
                s.Ok("run", "--name", name, "busybox", "sh", "-c", script);
            }

            // Reading through a link to a host path finds the container's path, which does not exist.
            AssertFails(s.Run("cp", $"{name}:/escape/sentinel", Path.Combine(host, "got")), $"Could not find the file /escape/sentinel in container {name}");
            AssertFails(s.Run("cp", $"{name}:/jail/rel/sentinel", Path.Combine(host, "got")), "Could not find the file");
            Assert.False(File.Exists(Path.Combine(host, "got")));
            // ".." stops at the container's root: this is the container's /etc/passwd, not the host's.
            s.Ok("cp", $"{name}:/../../../../etc/passwd", Path.Combine(host, "passwd-" + name));
            Assert.Contains("marker-" + name, File.ReadAllText(Path.Combine(host, "passwd-" + name)));

            // Writing through links lands inside the container.
            s.Ok("cp", Path.Combine(host, "sentinel"), $"{name}:/escape/");
            s.Ok("cp", Path.Combine(host, "sentinel"), $"{name}:/etclink/");
            s.Ok("cp", Path.Combine(host, "sentinel"), $"{name}:/jail/rel/planted");
            Assert.Equal("host secret", File.ReadAllText(Path.Combine(outside, "sentinel")));
            Assert.Equal(["sentinel"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
            Assert.False(File.Exists("/etc/sentinel"));
            foreach (var planted in new[] { "/etc/sentinel", $"{outside}/sentinel", $"{outside}/planted" })
            {
                var back = Path.Combine(host, "back");
                s.Ok("cp", $"{name}:{planted}", back);
                Assert.Equal("from host", File.ReadAllText(back));
                File.Delete(back);
            }

            // A tar whose entries climb out is refused and writes nothing outside.
            var tar = s.Dir.Combine("evil.tar");
            using (var file = File.Create(tar))
            using (var writer = new TarWriter(file, TarEntryFormat.Pax))
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../../../../../../" + outside.TrimStart('/') + "/pwned") { DataStream = new MemoryStream("x"u8.ToArray()) });
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = outside });
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "link/pwned2") { DataStream = new MemoryStream("x"u8.ToArray()) });
            }
            var r = s.Berth.RunWithStdin(tar, "cp", "-", $"{name}:/jail");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("path escapes the extraction directory (breakout attempt)", r.Stderr);
            Assert.Equal(["sentinel"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void ADirectorySwappedForASymlinkDuringCopiesNeverLeadsToTheHost()
    {
        // The container swaps /data between a directory and a link to a host path, as fast as it can, while cp
        // reads and writes through it: whichever the copy meets, it stays inside the container's root.
        using var s = new ContainerStore(image);
        var outside = s.Dir.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "sentinel"), "host secret");
        var payload = s.Dir.Combine("payload");
        File.WriteAllText(payload, "from host");
        s.Ok("run", "-d", "--name", "c", "busybox", "sh", "-c",
            $"echo inside > /sentinel; touch /ready; while true; do rm -rf /data; mkdir /data; echo inside > /data/sentinel; usleep 20000; rm -rf /data; ln -s {outside} /data; usleep 20000; done");
        WaitForFile(s, "c", "/ready");
        var back = s.Dir.Combine("back");
        int wrote = 0, read = 0;
        for (var i = 0; i < 20; i++)
        {
            var put = s.Run("cp", payload, "c:/data/planted");
            Assert.True(put.ExitCode is 0 or 1, put.ToString());
            if (put.ExitCode == 0) wrote++;
            var get = s.Run("cp", "c:/data/sentinel", back);
            Assert.True(get.ExitCode is 0 or 1, get.ToString());
            if (get.ExitCode == 0)
            {
                read++;
                Assert.Equal("inside\n", File.ReadAllText(back));
                File.Delete(back);
            }
        }
        Assert.Equal("host secret", File.ReadAllText(Path.Combine(outside, "sentinel")));
        Assert.Equal(["sentinel"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.True(wrote + read > 0, "no copy met the swapping path at all");
    }

    private static void WaitForFile(ContainerStore s, string name, string path) =>
        Wait.For(() => s.Run("exec", name, "test", "-e", path).ExitCode == 0, $"{path} in {name}");

    private static List<string> Tree(string dir) =>
        Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(dir, p)).Order(StringComparer.Ordinal).ToList();

    private static void AssertFails(RunResult r, string message, int exitCode = 1)
    {
        Assert.True(r.ExitCode == exitCode && r.Stderr.Contains(message, StringComparison.Ordinal), $"expected exit {exitCode} and '{message}': {r}");
    }
}
