using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>A private berth installation for one test: its own root and state directory, its own docker
/// config directory (credentials) and berth configuration file, so no test reads or writes the machine's.</summary>
public sealed class Installation : IDisposable
{
    public Installation()
    {
        HostCapabilities.RequireRoot();
        Dir = new TempDirectory("berth-dist");
        Berth = new Testing.Berth(Dir.Combine("root"));
        DockerConfig = Dir.Sub("docker-config");
        ConfigPath = Dir.Combine("berth-config.json");
        Berth.ExtraEnvironment["DOCKER_CONFIG"] = DockerConfig;
        Berth.ExtraEnvironment["BERTH_CONFIG"] = ConfigPath;
        // No certs.d of the machine: only what a test puts in its own.
        File.WriteAllText(ConfigPath, $$"""{"certs-directories": ["{{Dir.Combine("certs.d")}}"]}""");
    }

    public TempDirectory Dir { get; }
    public Testing.Berth Berth { get; }
    public string DockerConfig { get; }
    public string ConfigPath { get; }
    public string CertsDirectory => Dir.Combine("certs.d");

    public RunResult Run(params string[] args) => Berth.RunTimed(TimeSpan.FromMinutes(2), args);

    public string Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, $"berth {string.Join(' ', args)} failed:\n{r}");
        return r.Stdout;
    }

    public void AssertStoreClean(int images)
    {
        var check = Run("system", "check");
        Assert.True(check.ExitCode == 0 && check.Stdout.Contains($"{images} images", StringComparison.Ordinal) && check.Stdout.TrimEnd().EndsWith(": ok", StringComparison.Ordinal), check.ToString());
    }

    public void Dispose() => Dir.Dispose();
}
