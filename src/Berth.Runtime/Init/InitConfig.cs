using System.Text.Json.Serialization;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Init;

/// <summary>What the caller sends the init over the sync socket right after the spawn (the seccomp filter compiled
/// alongside); "cgroup joined" (<see cref="CgroupJoined"/>) follows once the init is in every cgroup hierarchy.
/// <para>Only the parts of the spec the init acts on: System.Text.Json builds its metadata for every type reachable
/// from the one it reads, and for the whole spec (resources, seccomp, hooks …) that was most of the init's time to
/// read its configuration. A field of the spec the init starts to use must be added here (and to
/// <see cref="InitLinux"/>).</para></summary>
internal sealed record InitConfig
{
    [JsonPropertyName("process")] public required ProcessSpec Process { get; init; }
    [JsonPropertyName("root")] public Root? Root { get; init; }
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
    [JsonPropertyName("domainname")] public string? Domainname { get; init; }
    [JsonPropertyName("mounts")] public IReadOnlyList<Mount>? Mounts { get; init; }
    [JsonPropertyName("linux")] public InitLinux Linux { get; init; } = new();
    /// <summary>berth's <c>--init</c>: the init stays PID 1 and reaps (<see cref="Reaper.Annotation"/>).</summary>
    [JsonPropertyName("reaper")] public bool Reaper { get; init; }
    /// <summary>Bring lo up in the new network namespace (<see cref="Namespaces.Loopback.Annotation"/>).</summary>
    [JsonPropertyName("loopback")] public bool Loopback { get; init; }
    [JsonPropertyName("rootfs")] public required string Rootfs { get; init; }
    [JsonPropertyName("execFifo")] public required string ExecFifo { get; init; }
    [JsonPropertyName("cgroups")] public required CgroupLayout Cgroups { get; init; }
    [JsonPropertyName("noOpenat2")] public bool NoOpenat2 { get; init; }
    /// <summary>The hooks the init runs itself, and what their state needs; null without any.</summary>
    [JsonPropertyName("hooks")] public InitHooks? Hooks { get; init; }

    /// <summary>The caller's second message, once the init is in every cgroup hierarchy.</summary>
    public static ReadOnlySpan<byte> CgroupJoined => "cgroup joined"u8;

    public static InitConfig For(RuntimeSpec spec, string id, string bundle, string rootfs, string execFifo, CgroupLayout cgroups, bool noOpenat2)
    {
        var linux = spec.Linux ?? new LinuxSpec();
        return new InitConfig
        {
            Process = spec.Process ?? throw Oci.Errors.BerthException.Invalid("config.json has no process"),
            Root = spec.Root,
            Hostname = spec.Hostname,
            Domainname = spec.Domainname,
            Mounts = spec.Mounts,
            Linux = new InitLinux
            {
                Namespaces = linux.Namespaces, Devices = linux.Devices, Sysctl = linux.Sysctl, RootfsPropagation = linux.RootfsPropagation,
                MaskedPaths = linux.MaskedPaths, ReadonlyPaths = linux.ReadonlyPaths,
            },
            Reaper = Init.Reaper.IsRequested(spec),
            Loopback = Namespaces.Loopback.IsRequested(spec),
            Rootfs = rootfs,
            ExecFifo = execFifo,
            Cgroups = cgroups,
            NoOpenat2 = noOpenat2,
            Hooks = InitHooks.For(spec, id, bundle),
        };
    }

    /// <summary>The spec again, with what the init acts on.</summary>
    public RuntimeSpec ToSpec() => new()
    {
        Process = Process,
        Root = Root,
        Hostname = Hostname,
        Domainname = Domainname,
        Mounts = Mounts,
        Annotations = Reaper ? new Dictionary<string, string> { [Init.Reaper.Annotation] = "true" } : null,
        Linux = new LinuxSpec
        {
            Namespaces = Linux.Namespaces, Devices = Linux.Devices, Sysctl = Linux.Sysctl, RootfsPropagation = Linux.RootfsPropagation,
            MaskedPaths = Linux.MaskedPaths, ReadonlyPaths = Linux.ReadonlyPaths,
        },
    };
}

/// <summary>The OCI hooks the init runs (createContainer before pivot_root, startContainer before the command) and
/// whether it must stop before pivot_root for the caller's (prestart, createRuntime): <see cref="Process.HookRunner"/>.</summary>
internal sealed record InitHooks
{
    [JsonPropertyName("runtime")] public bool Runtime { get; init; }
    [JsonPropertyName("createContainer")] public IReadOnlyList<Hook>? CreateContainer { get; init; }
    [JsonPropertyName("startContainer")] public IReadOnlyList<Hook>? StartContainer { get; init; }
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("bundle")] public required string Bundle { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>The caller's answer to <see cref="InitMessage.Hooks"/> once its hooks have run.</summary>
    public static ReadOnlySpan<byte> Done => "hooks done"u8;

    public static InitHooks? For(RuntimeSpec spec, string id, string bundle)
    {
        if (spec.Hooks is not { IsEmpty: false } h) return null;
        return new InitHooks
        {
            Runtime = (h.Prestart?.Count ?? 0) + (h.CreateRuntime?.Count ?? 0) > 0,
            CreateContainer = h.CreateContainer,
            StartContainer = h.StartContainer,
            Id = id,
            Bundle = bundle,
            Annotations = spec.Annotations,
        };
    }

    public ContainerState State(string status) => new()
    {
        Id = Id, Status = status, Pid = Interop.Interop.getpid(), Bundle = Bundle, Annotations = Annotations,
    };
}

/// <summary>The <c>linux</c> section as the init needs it (see <see cref="InitConfig"/>).</summary>
internal sealed record InitLinux
{
    [JsonPropertyName("namespaces")] public IReadOnlyList<LinuxNamespace>? Namespaces { get; init; }
    [JsonPropertyName("devices")] public IReadOnlyList<LinuxDevice>? Devices { get; init; }
    [JsonPropertyName("sysctl")] public IReadOnlyDictionary<string, string>? Sysctl { get; init; }
    [JsonPropertyName("rootfsPropagation")] public string? RootfsPropagation { get; init; }
    [JsonPropertyName("maskedPaths")] public IReadOnlyList<string>? MaskedPaths { get; init; }
    [JsonPropertyName("readonlyPaths")] public IReadOnlyList<string>? ReadonlyPaths { get; init; }
}

/// <summary>What the init reports back: "console" (with the pty master attached), "ready", "error", or
/// "exec" (the command could not be executed; <see cref="ExitCode"/> is 126 or 127). One datagram of four
/// newline-separated fields — type, error kind, exit code, message (which may hold newlines itself) — rather than
/// JSON: the init sends one on every start and should not build serializer metadata for it.</summary>
internal sealed record InitMessage
{
    public const string Console = "console", Ready = "ready", Error = "error", Exec = "exec";
    /// <summary>Every mount is in place, pivot_root is next: the caller runs its prestart and createRuntime hooks and
    /// answers <see cref="InitHooks.Done"/>.</summary>
    public const string Hooks = "hooks";

    public required string Type { get; init; }
    public string? Message { get; init; }
    public Oci.Errors.ErrorKind Kind { get; init; }
    public int ExitCode { get; init; }

    public byte[] Encode() => System.Text.Encoding.UTF8.GetBytes(
        $"{Type}\n{((int)Kind).ToString(System.Globalization.CultureInfo.InvariantCulture)}\n{ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n{Message}");

    public static InitMessage Decode(ReadOnlySpan<byte> datagram)
    {
        var parts = System.Text.Encoding.UTF8.GetString(datagram).Split('\n', 4);
        if (parts.Length != 4
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var kind)
            || !int.TryParse(parts[2], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var code))
            throw new Oci.Errors.BerthException(Oci.Errors.ErrorKind.Internal, "container init sent a malformed report");
        return new InitMessage { Type = parts[0], Kind = (Oci.Errors.ErrorKind)kind, ExitCode = code, Message = parts[3].Length == 0 ? null : parts[3] };
    }
}

/// <summary>What the caller sends <c>berth init exec</c>, the process that joins a running container: the process to
/// run. The container's seccomp filter (part of the container, not of the process) comes along compiled, as the
/// init's does (<see cref="Security.SeccompProgram"/>).</summary>
internal sealed record ExecConfig
{
    [JsonPropertyName("process")] public required ProcessSpec Process { get; init; }
    [JsonPropertyName("noOpenat2")] public bool NoOpenat2 { get; init; }
}
