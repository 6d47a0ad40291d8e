using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary><c>POST /auth</c> and <c>X-Registry-Auth</c> through the docker CLI, against a registry with htpasswd.</summary>
[Collection("api")]
public sealed class RegistryAuthTests(BusyboxFixture image)
{
    [Fact]
    public void LoginChecksTheRegistryAndPushPullUseTheClientsCredentials()
    {
        // docker login asks the daemon to check the credentials (it stores nothing; the CLI keeps them) and docker
        // push/pull send them in X-Registry-Auth: the daemon has no login of its own for this registry.
        HostCapabilities.RequireTool("htpasswd");
        var htpasswd = Run.Tool("htpasswd", ["-Bbn", "alice", "s3cret"]);
        Assert.True(htpasswd.ExitCode == 0, htpasswd.ToString());
        using var registry = new RegistryServer(new RegistryServer.Options { Htpasswd = htpasswd.Stdout });
        using var s = new ApiStore(image);
        var config = s.Dir.Sub("docker-config");
        var env = new Dictionary<string, string>(s.Daemon.ClientEnvironment) { ["DOCKER_CONFIG"] = config };
        RunResult Docker(params string[] args) => Run.Tool("/usr/local/bin/docker", args, timeout: TimeSpan.FromSeconds(120), env: env);

        var bad = Docker("login", registry.Host, "-u", "alice", "-p", "wrong");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("401 Unauthorized", bad.Stderr);
        Assert.False(File.Exists(Path.Combine(config, "config.json")) && File.ReadAllText(Path.Combine(config, "config.json")).Contains(registry.Host, StringComparison.Ordinal));

        var reference = $"{registry.Host}/auth/bb:1";
        s.Berth.Ok("tag", "busybox:latest", reference);
        var anonymous = Docker("push", reference);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.True(anonymous.ExitCode == 1 && (anonymous.Stdout + anonymous.Stderr).Contains("unauthorized", StringComparison.OrdinalIgnoreCase), anonymous.ToString());

        var good = Docker("login", registry.Host, "-u", "alice", "-p", "s3cret");
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("Login Succeeded", good.Stdout);
        Assert.Contains(registry.Host, File.ReadAllText(Path.Combine(config, "config.json")));

        var pushed = Docker("push", reference);
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        Assert.Matches(@"1: digest: sha256:[0-9a-f]{64} size: \d+", pushed.Stdout);
        s.Berth.Ok("rmi", reference);
        var pulled = Docker("pull", reference);
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Contains($"Status: Downloaded newer image for {reference}", pulled.Stdout);
    }
}
