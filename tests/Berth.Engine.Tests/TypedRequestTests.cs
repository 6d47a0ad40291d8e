using Berth.Testing;
using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Engine.Tests;

/// <summary>The engine takes typed requests (limits, devices, restart policy), parsed by pure parsers both front ends
/// share, and keeps reading containers stored when those fields were the flags' strings.</summary>
[Collection("engine")]
public sealed class TypedRequestTests(BusyboxTar image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void ParsersRefuseInDockersWordsWithoutNamingAFlag()
    {
        // The Engine API gets these as JSON and the CLI as flags: the engine's words must fit both.
        Assert.Equal(new Ulimit("nofile", 1024, 2048), Ulimit.Parse("nofile=1024:2048"));
        Assert.Equal(new Ulimit("nproc", 5, 5), Ulimit.Parse("nproc=5"));
        Assert.Equal("invalid ulimit type: bogus", Assert.Throws<BerthException>(() => Ulimit.Parse("bogus=1")).Message);
        Assert.Equal("invalid ulimit argument: nofile", Assert.Throws<BerthException>(() => Ulimit.Parse("nofile")).Message);
        Assert.Equal("ulimit soft limit must be less than or equal to hard limit: 20 > 10",
            Assert.Throws<BerthException>(() => Ulimit.Parse("nofile=20:10")).Message);
        Assert.Equal(new DeviceMapping("/dev/null", "/dev/mynull", "rw"), DeviceMapping.Parse("/dev/null:/dev/mynull:rw"));
        Assert.Equal(new DeviceMapping("/dev/null", "/dev/null", "r"), DeviceMapping.Parse("/dev/null:r"));
        Assert.Equal("dev/null is not an absolute path", Assert.Throws<BerthException>(() => DeviceMapping.Parse("dev/null")).Message);
        Assert.Equal(new RestartPolicy("on-failure", 3), RestartPolicy.Parse("on-failure:3"));
        foreach (var e in new[] { Assert.Throws<BerthException>(() => Ulimit.Parse("x")), Assert.Throws<BerthException>(() => DeviceMapping.Parse("a:b:c:d")) })
        {
            Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
            Assert.DoesNotContain("--", e.Message);
        }
    }

    [Fact]
    public void ContainersStoredWithTheFlagsStringsStillStartAndInspect()
    {
        // Rows written before these fields were typed hold the flag's text: they read back as the same typed values,
        // and such a container starts with its limits and device.
        using var e = new EngineUnderTest(image);
        var containers = e.Engine.Containers;
        var row = containers.Create(new ContainerRequest
        {
            Image = "busybox",
            Cmd = ["sh", "-c", "[ \"$(ulimit -n)\" = 123 ] && [ -c /dev/mynull ]"],
            Ulimits = [new Ulimit("nofile", 123, 456)],
            Devices = [new DeviceMapping("/dev/null", "/dev/mynull", "rw")],
            Restart = new RestartPolicy("on-failure", 2),
        }, Ct);
        Assert.Contains("\"ulimits\":[{\"name\":\"nofile\",\"soft\":123,\"hard\":456}]", row.Config);
        var old = row.Config
            .Replace("[{\"name\":\"nofile\",\"soft\":123,\"hard\":456}]", "[\"nofile=123:456\"]", StringComparison.Ordinal)
            .Replace("[{\"pathOnHost\":\"/dev/null\",\"pathInContainer\":\"/dev/mynull\",\"cgroupPermissions\":\"rw\"}]", "[\"/dev/null:/dev/mynull:rw\"]", StringComparison.Ordinal)
            .Replace("{\"name\":\"on-failure\",\"maximumRetryCount\":2}", "\"on-failure:2\"", StringComparison.Ordinal);
        Assert.DoesNotContain("pathOnHost", old);
        Assert.DoesNotContain("maximumRetryCount", old);
        var request = ContainerService.ConfigOf(row with { Config = old }).Request;
        Assert.Equal([new Ulimit("nofile", 123, 456)], request.Ulimits);
        Assert.Equal([new DeviceMapping("/dev/null", "/dev/mynull", "rw")], request.Devices);
        Assert.Equal(new RestartPolicy("on-failure", 2), request.Restart);

        e.Engine.Store.Metadata.UpdateContainer(row with { Config = old });
        var stored = containers.Resolve(row.Id);
        var host = containers.Inspect(stored).HostConfig;
        Assert.Equal("on-failure", host.RestartPolicy.Name);
        Assert.Equal(2, host.RestartPolicy.MaximumRetryCount);
        Assert.Equal(456, Assert.Single(host.Ulimits).Hard);
        Assert.Equal("/dev/mynull", Assert.Single(host.Devices).PathInContainer);
        containers.StartDetached(stored, Ct);
        Assert.Equal(0, containers.Wait(containers.Resolve(row.Id), Ct));
    }
}
