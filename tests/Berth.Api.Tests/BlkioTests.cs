using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Berth.Runtime.Cgroups;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>Block I/O controls (HostConfig.Blkio*, the CLI's <c>--blkio-weight</c>, <c>--device-*-bps/iops</c>) written
/// to the container's cgroup, what the host's cgroups lack discarded with dockerd's warning, and the blkio counters
/// in <c>/stats</c> and <c>docker stats</c>. The device is the one the store is on (where a container's writes go).</summary>
[Collection("api")]
public sealed class BlkioTests(BusyboxFixture image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string WeightWarning = "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.";

    /// <summary>The block device holding <paramref name="path"/> (/dev/NAME from sysfs) and its numbers.</summary>
    private static (string Path, string Numbers) DeviceOf(string path)
    {
        var numbers = Run.Tool("stat", ["-c", "%Hd:%Ld", path]).AssertExit(0).Stdout.Trim();
        var uevent = File.ReadAllLines($"/sys/dev/block/{numbers}/uevent");
        var name = uevent.Single(l => l.StartsWith("DEVNAME=", StringComparison.Ordinal))["DEVNAME=".Length..];
        return ("/dev/" + name, numbers);
    }

    private static bool V1 => !CgroupLayout.Detect().Unified;

    /// <summary>The container's cgroup directory that holds the block I/O files.</summary>
    private static string CgroupDir(ApiStore s, string id, string file) =>
        s.Berth.CgroupParentDirs.Select(d => Path.Combine(d, id)).First(d => File.Exists(Path.Combine(d, file)));

    [Fact]
    public void ThrottlesReachTheCgroupAndSlowDirectWrites()
    {
        using var s = new ApiStore(image);
        var (device, numbers) = DeviceOf(s.Berth.Root);
        var support = BlockIOSupport.Detect(CgroupLayout.Detect());
        // docker CLI 28 → HostConfig.BlkioDeviceWriteBps and friends; the weight only where the kernel has one.
        var run = s.Docker("run", "-d", "--name", "slow", "--blkio-weight", "300", "--device-write-bps", device + ":1mb",
            "--device-read-iops", device + ":1000", "busybox:latest", "sleep", "300");
        run.AssertExit(0);
        var id = run.Stdout.Trim();
        Assert.Equal(support.Weight ? "" : $"WARNING: {WeightWarning}\n", run.Stderr);
        Assert.Equal($"{(support.Weight ? 300 : 0)} [{device}:1048576] [{device}:1000] []\n",
            s.DockerOk("inspect", "-f", "{{.HostConfig.BlkioWeight}} {{.HostConfig.BlkioDeviceWriteBps}} {{.HostConfig.BlkioDeviceReadIOps}} {{.HostConfig.BlkioDeviceReadBps}}", "slow"));
        if (V1)
        {
            var dir = CgroupDir(s, id, "blkio.throttle.write_bps_device");
            Assert.Equal($"{numbers} 1048576\n", File.ReadAllText(Path.Combine(dir, "blkio.throttle.write_bps_device")));
            Assert.Equal($"{numbers} 1000\n", File.ReadAllText(Path.Combine(dir, "blkio.throttle.read_iops_device")));
        }
        else
        {
            var max = File.ReadAllText(Path.Combine(CgroupDir(s, id, "io.max"), "io.max"));
            Assert.Contains($"{numbers} rbps=max wbps=1048576 riops=1000 wiops=max", max);
        }

        // 3 MiB written past the page cache at 1 MiB/s take seconds (the throttle lets a short burst through).
        var watch = Stopwatch.StartNew();
        s.DockerOk("exec", "slow", "dd", "if=/dev/zero", "of=/slow", "bs=64k", "count=48", "oflag=direct");
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.5), $"3 MiB at 1 MiB/s took {watch.Elapsed}");

        // update: the weight where the kernel has one, dockerd's warning (after the name, on stdout) where not.
        var update = s.DockerOk("update", "--blkio-weight", "500", "slow");
        Assert.Equal(support.Weight ? "slow\n" : $"slow\n{WeightWarning}\n", update);
        Assert.Equal(support.Weight ? "500\n" : "0\n", s.DockerOk("inspect", "-f", "{{.HostConfig.BlkioWeight}}", "slow"));
    }

    [Fact]
    public async Task StatsCountDirectWritesInDockerdsShape()
    {
        using var s = new ApiStore(image);
        var (_, numbers) = DeviceOf(s.Berth.Root);
        var major = ulong.Parse(numbers.Split(':')[0]);
        var minor = ulong.Parse(numbers.Split(':')[1]);
        s.DockerOk("run", "-d", "--name", "writer", "busybox:latest", "sh", "-c", "dd if=/dev/zero of=/data bs=1M count=4 oflag=direct && sync && touch /done && sleep 300");
        Wait.For(() => s.Docker("exec", "writer", "test", "-e", "/done").ExitCode == 0, "the container's writes");

        using var http = s.Daemon.Http();
        var blkio = JsonDocument.Parse(await http.GetStringAsync("/v1.47/containers/writer/stats?stream=false&one-shot=true", Ct)).RootElement.GetProperty("blkio_stats");
        var bytes = blkio.GetProperty("io_service_bytes_recursive").EnumerateArray()
            .Select(e => (Major: e.GetProperty("major").GetUInt64(), Minor: e.GetProperty("minor").GetUInt64(), Op: e.GetProperty("op").GetString()!, Value: e.GetProperty("value").GetUInt64()))
            .ToList();
        var written = bytes.Where(e => e.Major == major && e.Minor == minor && e.Op is "Write" or "write").Sum(e => (long)e.Value);
        Assert.True(written >= 4 << 20, $"{written} bytes written on {numbers}: {blkio}");
        if (V1)
        {
            // dockerd on v1 (containerd's throttle fallback): the kernel's operations per device, every list present.
            Assert.Equal(["Read", "Write", "Sync", "Async", "Discard", "Total"], bytes.Where(e => e.Major == major && e.Minor == minor).Select(e => e.Op).ToArray());
            Assert.Contains(blkio.GetProperty("io_serviced_recursive").EnumerateArray(), e => e.GetProperty("op").GetString() == "Write" && e.GetProperty("value").GetUInt64() >= 4);
            Assert.Equal(JsonValueKind.Array, blkio.GetProperty("io_queue_recursive").ValueKind);
            Assert.Equal(0, blkio.GetProperty("sectors_recursive").GetArrayLength());
        }
        else
        {
            Assert.All(bytes, e => Assert.Contains(e.Op, new[] { "read", "write" }));
            Assert.Equal(JsonValueKind.Null, blkio.GetProperty("io_serviced_recursive").ValueKind);
        }
        // docker stats' BLOCK I/O column: read / written (decimal units, as docker's HumanSize).
        var column = s.DockerOk("stats", "--no-stream", "--format", "{{.BlockIO}}", "writer").Trim();
        Assert.Matches(@"^\S+ / (4\.\d+|[5-9](\.\d+)?|\d{2,}(\.\d+)?)MB$", column);
    }

    [Fact]
    public async Task BadBlkioSettingsAreRefusedWithDockersWords()
    {
        using var s = new ApiStore(image);
        var (device, _) = DeviceOf(s.Berth.Root);
        // docker/cli's usage errors (125), from berth's own CLI.
        RunResult Create(params string[] args) => s.Berth.Run(["create", .. args, "busybox:latest", "true"]);
        Create("--blkio-weight-device", device + ":5").AssertExit(125, $"invalid argument \"{device}:5\" for \"--blkio-weight-device\" flag: invalid weight for device: {device}:5");
        Create("--device-read-bps", "vda:1mb").AssertExit(125, "bad format for device path: vda:1mb");
        Create("--device-write-iops", device + ":lots").AssertExit(125, $"invalid rate for device: {device}:lots. The correct format is <device-path>:<number>. Number must be a positive integer");
        Create("--device-write-bps", device).AssertExit(125, $"bad format: {device}");
        Create("--blkio-weight", "70000").AssertExit(125, "invalid argument \"70000\" for \"--blkio-weight\" flag");
        var support = BlockIOSupport.Detect(CgroupLayout.Detect());
        var warned = s.Berth.Run("create", "--name", "weighted", "--blkio-weight", "5", "busybox:latest", "true");
        if (support.Weight) warned.AssertExit(125, "Range of blkio weight is from 10 to 1000");
        else Assert.Equal($"WARNING: {WeightWarning}\n", warned.AssertExit(0).Stderr);

        // The Engine API: a device that is not there (dockerd's stat error), an out-of-range weight where weights exist.
        using var http = s.Daemon.Http();
        async Task<(HttpStatusCode, JsonElement)> Post(string json)
        {
            using var r = await http.PostAsync("/v1.47/containers/create", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
            return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement);
        }
        var (missing, missingBody) = await Post("""{"Image": "busybox:latest", "HostConfig": {"BlkioDeviceReadBps": [{"Path": "/dev/berth-no-such-disk", "Rate": 1024}]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("stat /dev/berth-no-such-disk: no such file or directory", missingBody.GetProperty("message").GetString());
        var (weight, weightBody) = await Post("""{"Image": "busybox:latest", "HostConfig": {"BlkioWeight": 5}}""");
        if (support.Weight)
        {
            Assert.Equal(HttpStatusCode.BadRequest, weight);
            Assert.Equal("Range of blkio weight is from 10 to 1000", weightBody.GetProperty("message").GetString());
        }
        else
        {
            Assert.Equal(HttpStatusCode.Created, weight);
            Assert.Equal([WeightWarning], weightBody.GetProperty("Warnings").EnumerateArray().Select(w => w.GetString()!).ToArray());
        }
        var names = s.Berth.Ok("ps", "-a", "--format", "{{.Names}}").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(support.Weight ? 0 : 2, names.Length);
    }
}
