using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Images;

namespace Berth.Api.Tests;

/// <summary>Testcontainers for .NET (and the Docker.DotNet client under it) drive <c>berth daemon</c> unchanged: start a
/// container with a wait strategy, exec, copy a file in and out, read logs, clean up. Its resource reaper (Ryuk) is
/// off: Ryuk is a container from Docker Hub, which this machine cannot reach; Dispose removes the container instead,
/// and the store check of <see cref="ApiStore"/> proves nothing was left.</summary>
[Collection("api")]
public sealed class TestcontainersTests(BusyboxFixture image)
{
    [Fact]
    public async Task ATestcontainersLifecycleWorksAgainstBerthDaemon()
    {
        using var s = new ApiStore(image);
        TestcontainersSettings.ResourceReaperEnabled = false;
        var ct = TestContext.Current.CancellationToken;
        var container = new ContainerBuilder("busybox:latest")
            .WithDockerEndpoint(s.Daemon.Host)
            .WithImagePullPolicy(PullPolicy.Missing)
            .WithName($"tc-{Guid.NewGuid():N}"[..16])
            .WithEnvironment("GREETING", "hello from berth")
            .WithCommand("sh", "-c", "echo \"$GREETING\"; echo ready; exec sleep 300")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("ready"))
            .Build();
        await using (container)
        {
            await container.StartAsync(ct);
            Assert.Equal("running", s.DockerOk("inspect", "-f", "{{.State.Status}}", container.Name).Trim());

            var exec = await container.ExecAsync(["sh", "-c", "echo out; echo err >&2; exit 3"], ct);
            Assert.Equal(3, exec.ExitCode);
            Assert.Equal("out\n", exec.Stdout);
            Assert.Equal("err\n", exec.Stderr);

            await container.CopyAsync(Encoding.UTF8.GetBytes("copied in\n"), "/tmp/in.txt", ct: ct);
            Assert.Equal("copied in\n", (await container.ExecAsync(["cat", "/tmp/in.txt"], ct)).Stdout);
            await container.ExecAsync(["sh", "-c", "echo made inside > /tmp/out.txt"], ct);
            Assert.Equal("made inside\n", Encoding.UTF8.GetString(await container.ReadFileAsync("/tmp/out.txt", ct)));

            // Testcontainers asks for timestamps: dockerd's RFC3339NanoFixed (nine fraction digits) before each line.
            var (stdout, _) = await container.GetLogsAsync(ct: ct);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["hello from berth", "ready"], lines.Select(l => l[(l.IndexOf(' ') + 1)..]));
            Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ", l));
        }
        // Disposed: stopped and removed, as Ryuk would have.
        Assert.Equal("", s.DockerOk("ps", "-aq"));
    }
}
