using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Testing;

namespace Berth.IntegrationTests.Cli;

/// <summary><c>version</c> and <c>info</c> (issue 13): docker's layout with berth's facts, <c>--format</c> over
/// docker's field names, the figures from the host and the store.</summary>
[Trait("Category", "Integration")]
public sealed class VersionAndInfoTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    private RunResult Berth(params string[] args)
    {
        HostCapabilities.Require(File.Exists(RepoPaths.BerthBinary), $"needs the berth binary ({RepoPaths.BerthBinary})");
        return Run.Tool(RepoPaths.BerthBinary, ["--root", _tmp.Combine("root"), "--state-dir", _tmp.Combine("state"), .. args], timeout: TimeSpan.FromSeconds(60));
    }

    private static string Arch => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64";

    [Fact]
    public void Version_lays_out_client_and_server_as_docker()
    {
        var r = Berth("version");
        Assert.True(r.ExitCode == 0, r.ToString());
        var pattern = "^Client:\n" +
            @" Version:           \S+\n" +
            " API version:       1.47\n" +
            @" \.NET version:      \.NET 10\.\S+\n" +
            @" Git commit:        \S*\n" +
            @" Built:             \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n" +
            $" OS/Arch:           linux/{Arch}\n" +
            "\n" +
            "Server: berth\n" +
            " Engine:\n" +
            @"  Version:          \S+\n" +
            "  API version:      1.47 \\(minimum version 1.24\\)\n" +
            @"  \.NET version:     \.NET 10\.\S+\n" +
            @"  Git commit:       \S*\n" +
            @"  Built:            \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n" +
            $"  OS/Arch:          linux/{Arch}\n" +
            "  Experimental:     false\n" +
            " berth-runtime:\n";
        Assert.Matches(new Regex(pattern), r.Stdout);
        Assert.False(Directory.Exists(_tmp.Combine("root")), "version must not create a store");
    }

    [Fact]
    public void Version_format_uses_docker_fields()
    {
        var r = Berth("version", "--format", "{{.Client.ApiVersion}} {{.Server.ApiVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}/{{.Server.Arch}}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"1.47 1.47 1.24 linux/{Arch}\n", r.Stdout);
        var json = Berth("version", "--format", "{{json .}}");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal("Engine", doc.RootElement.GetProperty("Server").GetProperty("Components")[0].GetProperty("Name").GetString());
        Assert.Equal(doc.RootElement.GetProperty("Client").GetProperty("Version").GetString(), doc.RootElement.GetProperty("Server").GetProperty("Version").GetString());
        var one = Berth("--version");
        Assert.Matches(@"^berth version \S+(, build \w+)?\n$", one.Stdout);
    }

    [Fact]
    public void Info_counts_and_describes_the_host()
    {
        HostCapabilities.RequireRoot();
        var r = Berth("info");
        Assert.True(r.ExitCode == 0, r.ToString());
        var o = r.Stdout;
        Assert.StartsWith("Client:\n Version:    ", o);
        Assert.Contains("\nServer:\n Containers: 0\n  Running: 0\n  Paused: 0\n  Stopped: 0\n Images: 0\n", o);
        Assert.Contains("\n Storage Driver: overlayfs\n", o);
        Assert.Contains("\n Cgroup Driver: cgroupfs\n", o);
        var cgroupVersion = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "2" : "1";
        Assert.Contains($"\n Cgroup Version: {cgroupVersion}\n", o);
        Assert.Contains("\n Runtimes: berth\n Default Runtime: berth\n", o);
        Assert.Contains($"\n Kernel Version: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}\n", o);
        Assert.Contains($"\n CPUs: {Environment.ProcessorCount}\n", o);
        Assert.Matches(@"\n Total Memory: \d+(\.\d+)?GiB\n", o);
        Assert.Contains($"\n Root Dir: {_tmp.Combine("root")}\n State Dir: {_tmp.Combine("state")}\n", o);
        Assert.Contains(" Security Options:\n  seccomp\n   Profile: builtin\n", o);
        const string apparmor = "/sys/module/apparmor/parameters/enabled";
        if (File.Exists(apparmor) && File.ReadAllText(apparmor).Trim() == "Y") Assert.Contains("\n  apparmor\n", o);
        else Assert.DoesNotContain("apparmor", o);
    }

    [Fact]
    public void Info_format_json_and_fields()
    {
        HostCapabilities.RequireRoot();
        var r = Berth("info", "--format", "{{.Driver}} {{.CgroupDriver}} {{.NCPU}} {{.DockerRootDir}} {{.ClientInfo.Version}}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches($"^overlayfs cgroupfs {Environment.ProcessorCount} {Regex.Escape(_tmp.Combine("root"))} \\S+\n$", r.Stdout);
        var json = Berth("info", "--format", "{{json .}}");
        using var doc = JsonDocument.Parse(json.Stdout);
        var memory = doc.RootElement.GetProperty("MemTotal").GetInt64();
        var meminfo = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        Assert.Equal(long.Parse(meminfo.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024, memory);
        Assert.Equal(0, doc.RootElement.GetProperty("ContainersStopped").GetInt32());
        Assert.Equal("linux", doc.RootElement.GetProperty("OSType").GetString());
    }

    public void Dispose() => _tmp.Dispose();
}

/// <summary><c>info</c>'s counts follow the store: an image, a created and an exited container.</summary>
[Collection("images")]
[Trait("Category", "Integration")]
public sealed class InfoCountTests(BaseImages bases) : IDisposable
{
    private readonly TempDirectory _tmp = new();

    [Fact]
    public void Info_counts_images_and_containers_by_state()
    {
        var tar = bases.Require();
        using var berth = new Testing.Berth(_tmp.Combine("root"));
        berth.Ok("import", tar, "busybox:latest");
        berth.Ok("create", "--name", "c1", "busybox", "true");
        berth.Ok("run", "--name", "c2", "busybox", "true");
        var text = berth.Ok("info");
        Assert.Contains("\nServer:\n Containers: 2\n  Running: 0\n  Paused: 0\n  Stopped: 2\n Images: 1\n", text);
        Assert.Equal("2 0 2 1\n", berth.Ok("info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}}"));
        berth.Ok("rm", "c1", "c2");
    }

    public void Dispose() => _tmp.Dispose();
}
