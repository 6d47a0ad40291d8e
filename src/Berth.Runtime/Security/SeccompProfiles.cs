using System.Reflection;
using System.Text.Json;
using Berth.Oci.Errors;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Security;

/// <summary>Turns Docker's conditional seccomp profile into the OCI <c>linux.seccomp</c> section for one container,
/// the way moby's <c>setupSeccomp</c> does: keep the native architecture and its sub-architectures, and keep a rule
/// only when its capability, architecture and kernel conditions hold for this container on this host.</summary>
public static class SeccompProfiles
{
    private static DockerSeccompProfile? s_default;

    /// <summary>Docker's default profile (the reference copy in tests/conformance/seccomp, embedded at build).</summary>
    public static DockerSeccompProfile DockerDefault => s_default ??= Load();

    private static DockerSeccompProfile Load()
    {
        using var s = typeof(SeccompProfiles).Assembly.GetManifestResourceStream("docker-default-seccomp.json")
            ?? throw new BerthException(ErrorKind.Internal, "embedded seccomp profile missing");
        return JsonSerializer.Deserialize(s, RuntimeJsonContext.Default.DockerSeccompProfile)
            ?? throw new BerthException(ErrorKind.Internal, "embedded seccomp profile is empty");
    }

    public static DockerSeccompProfile Parse(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, RuntimeJsonContext.Default.DockerSeccompProfile)
                ?? throw BerthException.Invalid($"{what}: empty seccomp profile");
        }
        catch (JsonException e)
        {
            throw new BerthException(ErrorKind.InvalidArgument, $"{what}: invalid seccomp profile: {e.Message}", e);
        }
    }

    /// <param name="profile">Docker-format profile.</param>
    /// <param name="capabilities">The container's bounding set ("CAP_…" names).</param>
    /// <param name="goArch">The host architecture in Go's spelling (amd64, arm64), as profiles name it.</param>
    /// <param name="kernel">The host kernel version, for <c>minKernel</c> conditions.</param>
    public static LinuxSeccomp ToOci(DockerSeccompProfile profile, IReadOnlyCollection<string> capabilities, string goArch, Version kernel)
    {
        var native = SeccompArchOf(goArch);
        var arches = new List<string>();
        foreach (var a in profile.ArchMap ?? [])
        {
            if (a.Architecture != native) continue;
            arches.Add(a.Architecture);
            arches.AddRange(a.SubArchitectures ?? []);
        }

        var caps = new HashSet<string>(capabilities, StringComparer.Ordinal);
        var rules = new List<LinuxSyscall>();
        foreach (var r in profile.Syscalls ?? [])
        {
            if (r.Names is not { Count: > 0 }) continue;
            if (!Holds(r.Includes, caps, goArch, kernel, include: true)) continue;
            if (r.Excludes is not null && Excluded(r.Excludes, caps, goArch, kernel)) continue;
            rules.Add(new LinuxSyscall
            {
                Names = r.Names,
                Action = r.Action,
                ErrnoRet = r.ErrnoRet,
                Args = r.Args is { Count: > 0 } ? r.Args : null,
            });
        }

        return new LinuxSeccomp
        {
            DefaultAction = profile.DefaultAction,
            // Docker leaves this unset and runtimes default to EPERM; writing it makes the spec say what it means.
            DefaultErrnoRet = profile.DefaultErrnoRet ?? (profile.DefaultAction == "SCMP_ACT_ERRNO" ? 1u : null),
            Architectures = arches.Count > 0 ? arches : null,
            Syscalls = rules,
        };
    }

    private static bool Holds(DockerRuleFilter? f, HashSet<string> caps, string goArch, Version kernel, bool include)
    {
        if (f is null) return true;
        if (f.Arches is { Count: > 0 } && !f.Arches.Contains(goArch)) return false;
        foreach (var c in f.Caps ?? []) if (!caps.Contains(c)) return false;
        if (!string.IsNullOrEmpty(f.MinKernel) && kernel < ParseKernel(f.MinKernel)) return false;
        return include;
    }

    private static bool Excluded(DockerRuleFilter f, HashSet<string> caps, string goArch, Version kernel)
    {
        if (f.Arches is { Count: > 0 } && f.Arches.Contains(goArch)) return true;
        foreach (var c in f.Caps ?? []) if (caps.Contains(c)) return true;
        if (!string.IsNullOrEmpty(f.MinKernel) && kernel >= ParseKernel(f.MinKernel)) return true;
        return false;
    }

    public static Version ParseKernel(string release)
    {
        // "6.18.44-fc-v669" → 6.18.44; "4.8" → 4.8.0.
        var parts = new List<int>();
        foreach (var piece in release.Split('.'))
        {
            var digits = new string(piece.TakeWhile(char.IsAsciiDigit).ToArray());
            if (digits.Length == 0) break;
            parts.Add(int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture));
            if (digits.Length != piece.Length || parts.Count == 3) break;
        }
        while (parts.Count < 3) parts.Add(0);
        return new Version(parts[0], parts[1], parts[2]);
    }

    public static string SeccompArchOf(string goArch) => goArch switch
    {
        "amd64" => "SCMP_ARCH_X86_64",
        "arm64" => "SCMP_ARCH_AARCH64",
        "386" => "SCMP_ARCH_X86",
        "arm" => "SCMP_ARCH_ARM",
        "s390x" => "SCMP_ARCH_S390X",
        "ppc64le" => "SCMP_ARCH_PPC64LE",
        "riscv64" => "SCMP_ARCH_RISCV64",
        _ => throw new BerthException(ErrorKind.NotImplemented, $"seccomp: unsupported architecture {goArch}"),
    };
}
