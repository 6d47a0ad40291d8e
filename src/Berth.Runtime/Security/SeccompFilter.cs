using Berth.Oci.Errors;
using Berth.Runtime.Spec;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;

namespace Berth.Runtime.Security;

/// <summary>A seccomp filter compiled by libseccomp from an OCI <c>linux.seccomp</c> section, as runc and crun do.
/// Compile it while the host's libraries are still reachable (before pivot_root, see P3 in the security notes);
/// <see cref="Load"/> installs it on the calling thread only, so it must run on the thread that will execve.</summary>
internal sealed class SeccompFilter : IDisposable
{
    private nint _ctx;
    private readonly byte[]? _program;

    private SeccompFilter(nint ctx) => _ctx = ctx;

    /// <summary>The highest native syscall number the profile names (-1 for none): what this libseccomp and the
    /// profile know about. <see cref="SeccompProgram"/> answers ENOSYS above it.</summary>
    public int HighestSyscall { get; private set; } = -1;

    private SeccompFilter(byte[] program) => _program = program;

    /// <summary>A filter already compiled to BPF (<see cref="SeccompProgram"/>): no libseccomp call at all.</summary>
    public static SeccompFilter FromProgram(byte[] program) => new(program);

    public static SeccompFilter Compile(LinuxSeccomp spec)
    {
        var ctx = seccomp_init(ParseAction(spec.DefaultAction, spec.DefaultErrnoRet));
        if (ctx == 0) throw new BerthException(ErrorKind.Internal, "seccomp_init failed");
        var filter = new SeccompFilter(ctx);
        try
        {
            // no_new_privs is the runtime's decision (process.noNewPrivileges), not libseccomp's default.
            Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set(NNP)");
            foreach (var arch in spec.Architectures ?? [])
            {
                var token = seccomp_arch_resolve_name(ArchName(arch));
                if (token == 0) throw BerthException.Invalid($"seccomp: unknown architecture {arch}");
                var rc = seccomp_arch_add(ctx, token);
                if (rc != 0 && rc != -EEXIST) Check(rc, $"seccomp_arch_add({arch})");
            }
            foreach (var rule in spec.Syscalls ?? [])
            {
                var action = ParseAction(rule.Action, rule.ErrnoRet);
                foreach (var name in rule.Names)
                {
                    var nr = seccomp_syscall_resolve_name(name);
                    // A name libseccomp does not know (another architecture's, or newer than it) is skipped, as runc does.
                    if (nr == __NR_SCMP_ERROR) continue;
                    filter.AddRule(action, nr, name, rule.Args);
                    if (nr >= 0) filter.HighestSyscall = Math.Max(filter.HighestSyscall, nr);
                }
            }
            return filter;
        }
        catch
        {
            filter.Dispose();
            throw;
        }
    }

    private unsafe void AddRule(uint action, int nr, string name, IReadOnlyList<LinuxSeccompArg>? args)
    {
        var list = args ?? [];
        // Several conditions on the same argument cannot be ANDed into one rule; runc adds one rule per condition,
        // which ORs them (personality(0) || personality(8) || …).
        var sameIndex = list.GroupBy(a => a.Index).Any(g => g.Count() > 1);
        if (sameIndex)
        {
            foreach (var a in list) AddOne(action, nr, name, [a]);
        }
        else
        {
            AddOne(action, nr, name, list);
        }
    }

    private unsafe void AddOne(uint action, int nr, string name, IReadOnlyList<LinuxSeccompArg> args)
    {
        var cmps = stackalloc scmp_arg_cmp[Math.Max(1, args.Count)];
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            cmps[i] = new scmp_arg_cmp { arg = a.Index, op = ParseOp(a.Op), datum_a = a.Value, datum_b = a.ValueTwo ?? 0 };
        }
        var rc = seccomp_rule_add_array(_ctx, action, nr, (uint)args.Count, cmps);
        // -EACCES/-EINVAL for a rule equal to the default action is not an error worth failing a container for.
        if (rc == -EACCES && action == SCMP_ACT_ALLOW) return;
        Check(rc, $"seccomp_rule_add({name})");
    }

    /// <summary>Installs the filter on the calling thread.</summary>
    public void Load()
    {
        if (_program is not null) LoadSeccompProgram(_program);
        else Check(seccomp_load(_ctx), "seccomp_load");
    }

    /// <summary>Writes the BPF program seccomp_load would install to <paramref name="fd"/>.</summary>
    public void Export(SafeFdHandle fd) => Check(seccomp_export_bpf(_ctx, fd.Fd), "seccomp_export_bpf");

    public void Dispose()
    {
        if (_ctx != 0) seccomp_release(_ctx);
        _ctx = 0;
    }

    private static void Check(int rc, string what)
    {
        if (rc < 0) throw new SyscallException(-rc, what, null);
    }

    internal static string ArchName(string ociArch) =>
        ociArch.StartsWith("SCMP_ARCH_", StringComparison.Ordinal) ? ociArch["SCMP_ARCH_".Length..].ToLowerInvariant() : ociArch.ToLowerInvariant();

    internal static uint ParseAction(string action, uint? errno) => action switch
    {
        "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SCMP_ACT_KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS" => SCMP_ACT_KILL_PROCESS,
        "SCMP_ACT_TRAP" => SCMP_ACT_TRAP,
        "SCMP_ACT_ERRNO" => SCMP_ACT_ERRNO_BASE | ((errno ?? EPERM) & 0xffff),
        "SCMP_ACT_TRACE" => SCMP_ACT_TRACE_BASE | ((errno ?? EPERM) & 0xffff),
        "SCMP_ACT_ALLOW" => SCMP_ACT_ALLOW,
        "SCMP_ACT_LOG" => SCMP_ACT_LOG,
        _ => throw new BerthException(ErrorKind.NotImplemented, $"seccomp: unsupported action {action}"),
    };

    internal static int ParseOp(string op) => op switch
    {
        "SCMP_CMP_NE" => 1,
        "SCMP_CMP_LT" => 2,
        "SCMP_CMP_LE" => 3,
        "SCMP_CMP_EQ" => 4,
        "SCMP_CMP_GE" => 5,
        "SCMP_CMP_GT" => 6,
        "SCMP_CMP_MASKED_EQ" => 7,
        _ => throw BerthException.Invalid($"seccomp: unknown operator {op}"),
    };
}
