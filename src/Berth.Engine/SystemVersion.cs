using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Berth.Engine;

/// <summary>The engine's part of <c>version</c> (the Engine API's <c>GET /version</c>, docker's field names): berth,
/// the API version it speaks, the .NET runtime where docker names Go, and the runtime and init it runs containers
/// with (one binary: the same version).</summary>
public sealed record SystemVersion
{
    /// <summary>The Engine API version berth speaks, and the oldest it accepts.</summary>
    public const string ApiVersionValue = "1.47";
    public const string MinApiVersionValue = "1.24";

    public required VersionPlatform Platform { get; init; }
    public required IReadOnlyList<VersionComponent> Components { get; init; }
    public required string Version { get; init; }
    public string ApiVersion { get; init; } = ApiVersionValue;
    [JsonPropertyName("MinAPIVersion")] public string MinApiVersion { get; init; } = MinApiVersionValue;
    public required string GitCommit { get; init; }
    /// <summary>docker's <c>GoVersion</c>: here the .NET runtime berth was built on (<c>.NET 10.0.0</c>).</summary>
    public required string GoVersion { get; init; }
    public required string Os { get; init; }
    public required string Arch { get; init; }
    public required string KernelVersion { get; init; }
    public required string BuildTime { get; init; }

    /// <summary>This berth binary's own build: version and git commit from its informational version
    /// (<c>1.2.3+commit</c>, which the SDK stamps from the repository when it knows it), build time from the file.</summary>
    public static BuildStamp Stamp()
    {
        var assembly = typeof(SystemVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = informational.IndexOf('+');
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "" : informational[(plus + 1)..];
        if (commit.Length > 7) commit = commit[..7];
        DateTimeOffset? built = Environment.ProcessPath is { } exe && File.Exists(exe) ? File.GetLastWriteTimeUtc(exe) : null;
        return new BuildStamp(version, commit, built, ".NET " + Environment.Version, "linux", GoArch(RuntimeInformation.ProcessArchitecture));
    }

    /// <summary>Go's GOARCH names, which docker prints (<c>amd64</c>, <c>arm64</c>).</summary>
    public static string GoArch(Architecture a) => a switch
    {
        Architecture.X64 => "amd64",
        Architecture.X86 => "386",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        Architecture.LoongArch64 => "loong64",
        var other => other.ToString().ToLowerInvariant(),
    };
}

/// <summary>What identifies a build of berth.</summary>
public sealed record BuildStamp(string Version, string GitCommit, DateTimeOffset? Built, string DotnetVersion, string Os, string Arch);

public sealed record VersionPlatform
{
    public required string Name { get; init; }
}

/// <summary>One part of the server (docker: Engine, containerd, runc, docker-init).</summary>
public sealed record VersionComponent
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required IReadOnlyDictionary<string, string> Details { get; init; }
}
