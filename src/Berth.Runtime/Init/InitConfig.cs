using System.Text.Json.Serialization;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Init;

/// <summary>What the caller sends the init over the sync socket right after the spawn (the seccomp filter compiled
/// alongside); "cgroup joined" (<see cref="CgroupJoined"/>) follows once the init is in every cgroup hierarchy.</summary>
internal sealed record InitConfig
{
    [JsonPropertyName("spec")] public required RuntimeSpec Spec { get; init; }
    [JsonPropertyName("rootfs")] public required string Rootfs { get; init; }
    [JsonPropertyName("execFifo")] public required string ExecFifo { get; init; }
    [JsonPropertyName("cgroups")] public required CgroupLayout Cgroups { get; init; }
    [JsonPropertyName("noOpenat2")] public bool NoOpenat2 { get; init; }

    /// <summary>The caller's second message, once the init is in every cgroup hierarchy.</summary>
    public static ReadOnlySpan<byte> CgroupJoined => "cgroup joined"u8;
}

/// <summary>What the init reports back: "console" (with the pty master attached), "ready", "error", or
/// "exec" (the command could not be executed; <see cref="ExitCode"/> is 126 or 127).</summary>
internal sealed record InitMessage
{
    public const string Console = "console", Ready = "ready", Error = "error", Exec = "exec";

    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("kind")] public Oci.Errors.ErrorKind Kind { get; init; }
    [JsonPropertyName("exitCode")] public int ExitCode { get; init; }
}

/// <summary>What the caller sends <c>berth init exec</c>, the process that joins a running container: the process to
/// run. The container's seccomp filter (part of the container, not of the process) comes along compiled, as the
/// init's does (<see cref="Security.SeccompProgram"/>).</summary>
internal sealed record ExecConfig
{
    [JsonPropertyName("process")] public required ProcessSpec Process { get; init; }
    [JsonPropertyName("noOpenat2")] public bool NoOpenat2 { get; init; }
}
