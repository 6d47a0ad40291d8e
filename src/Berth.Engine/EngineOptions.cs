using Berth.Runtime;

namespace Berth.Engine;

/// <summary>Where one berth installation keeps what it has, as containerd's <c>root</c> and <c>state</c>: the
/// persistent store under <see cref="Root"/>, what dies with a boot (runtime state, attach sockets, the seccomp
/// cache) under <see cref="StateDir"/>, and its containers' cgroups under <see cref="CgroupParent"/>. Two
/// installations with different options on one machine do not see each other. Every directory is created on
/// demand, so a machine that has just booted (an empty <c>/run</c>) works from the first command.</summary>
public sealed record EngineOptions
{
    public const string DefaultRoot = "/var/lib/berth";
    public const string DefaultStateDir = "/run/berth";
    public const string DefaultCgroupParent = "/berth";

    /// <summary>The environment variables a front end reads (and berth's own child processes get).</summary>
    public const string RootVariable = "BERTH_ROOT";
    public const string StateDirVariable = "BERTH_STATE_DIR";
    public const string CgroupParentVariable = "BERTH_CGROUP_PARENT";
    public const string DefaultNetworkVariable = "BERTH_DEFAULT_NETWORK";
    public const string ResolvConfVariable = "BERTH_RESOLV_CONF";

    public required string Root { get; init; }
    public required string StateDir { get; init; }

    /// <summary>Parent of every container's and build step's cgroup (<c>{CgroupParent}/{id}</c>).</summary>
    public string CgroupParent { get; init; } = DefaultCgroupParent;

    /// <summary>The network a container joins when <c>--network</c> is not given: docker's <c>bridge</c>. An
    /// installation that must not touch the network namespace it runs in (a test suite on a developer's machine)
    /// says <c>none</c> (<c>BERTH_DEFAULT_NETWORK=none</c>).</summary>
    public string DefaultNetwork { get; init; } = "bridge";

    /// <summary>The host's resolver configuration: where containers' resolv.conf come from and where the networks'
    /// resolvers forward names that are not containers'. <c>/etc/resolv.conf</c>; a test sandbox names its own
    /// (<c>BERTH_RESOLV_CONF</c>).</summary>
    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";

    /// <summary>The networks' resolvers: their lock and PID files (<c>berth resolver</c>).</summary>
    public string ResolverDir => Path.Combine(StateDir, "resolvers");

    /// <summary>The berth executable started as a container's monitor and init (<c>berth monitor</c>,
    /// <c>berth init</c>); by default this process's own, so one binary holds every role. An engine hosted in
    /// another process (a test) names the berth binary here.</summary>
    public string? Executable { get; init; }

    /// <summary>A long-lived front end (the daemon) reaps the monitors it starts when they exit; a CLI process exits
    /// first and leaves them to init.</summary>
    public bool ReapMonitors { get; init; }

    /// <summary>The runtime's per-container state (<see cref="ContainerRuntime"/>).</summary>
    public string RuntimeStateDir => Path.Combine(StateDir, "runtime");

    /// <summary>The monitors' attach sockets, one per running container.</summary>
    public string AttachDir => Path.Combine(StateDir, "attach");

    /// <summary>Compiled seccomp filters, cached for the boot.</summary>
    public string SeccompCacheDir => Path.Combine(StateDir, "seccomp");

    /// <summary>berth's configuration file (registries: insecure ones, certificate directories); env
    /// <c>BERTH_CONFIG</c>, default <c>/etc/berth/config.json</c>. Read when a registry is first used.</summary>
    public string ConfigPath { get; init; } = Distribution.Client.RegistrySettings.DefaultConfigPath;

    /// <summary>Where registry credentials are kept, as docker keeps them: <c>$DOCKER_CONFIG</c>, else
    /// <c>~/.docker</c> (config.json).</summary>
    public string DockerConfigDirectory { get; init; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");

    public RuntimeOptions RuntimeOptions => new() { StateRoot = RuntimeStateDir, SeccompCacheDir = SeccompCacheDir, InitPath = Executable };

    /// <summary>Options from <c>BERTH_ROOT</c>, <c>BERTH_STATE_DIR</c> and <c>BERTH_CGROUP_PARENT</c>, with the
    /// defaults for what is unset; paths made absolute.</summary>
    public static EngineOptions FromEnvironment(Func<string, string?>? read = null)
    {
        read ??= Environment.GetEnvironmentVariable;
        string Get(string name, string fallback) => read(name) is { Length: > 0 } v ? v : fallback;
        return new EngineOptions
        {
            Root = Path.GetFullPath(Get(RootVariable, DefaultRoot)),
            StateDir = Path.GetFullPath(Get(StateDirVariable, DefaultStateDir)),
            CgroupParent = Get(CgroupParentVariable, DefaultCgroupParent),
            ConfigPath = Path.GetFullPath(Get(Distribution.Client.RegistrySettings.ConfigVariable, Distribution.Client.RegistrySettings.DefaultConfigPath)),
            DockerConfigDirectory = Path.GetFullPath(Distribution.Credentials.DockerConfigStore.DefaultDirectory(read)),
            DefaultNetwork = Get(DefaultNetworkVariable, "bridge"),
            ResolvConfPath = Path.GetFullPath(Get(ResolvConfVariable, "/etc/resolv.conf")),
        };
    }

    /// <summary>The same options as environment entries, for berth's own child processes (the monitor).</summary>
    public IReadOnlyList<string> ToEnvironment() =>
        [$"{RootVariable}={Root}", $"{StateDirVariable}={StateDir}", $"{CgroupParentVariable}={CgroupParent}", $"{DefaultNetworkVariable}={DefaultNetwork}",
         $"{ResolvConfVariable}={ResolvConfPath}"];

    /// <summary>Creates <paramref name="path"/> (and its parents) root-only if missing; returns it.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static string EnsurePrivateDirectory(string path)
    {
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
