using System.Buffers.Binary;
using Berth.Oci.Errors;
using Berth.Runtime.Interop;
using Berth.Runtime.Spec;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Cgroups.V2;

/// <summary>The device rules of <c>linux.resources.devices</c> on cgroup v2, which has no devices controller: an
/// eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup, asked by the kernel on every
/// mknod and open of a device node (runc's devicefilter does the same). The rules apply in order, the last match
/// deciding, so the program tests them from the last to the first and the first match answers; nothing matching is
/// a denial.
/// <code>
///  r2 = ctx.access_type &amp; 0xffff   device type (1 block, 2 char)
///  r3 = ctx.access_type &gt;&gt; 16     access (1 mknod, 2 read, 4 write)
///  r4 = ctx.major, r5 = ctx.minor
///  per rule, last first:  type ≠ T → next;  access &amp; ~A ≠ 0 → next;  major ≠ M → next;  minor ≠ m → next;
///                         return allow
///  return 0
/// </code></summary>
/// <see href="https://docs.kernel.org/bpf/prog_cgroup_device.html"/>
internal static class DeviceFilter
{
    private const int BpfProgTypeCgroupDevice = 15, BpfCgroupDevice = 6, BpfFAllowMulti = 2;
    private const int BpfProgLoad = 5, BpfProgAttach = 8;

    // eBPF opcodes (linux/bpf.h).
    private const byte LdxMemW = 0x61, Alu64AndK = 0x57, Alu64RshK = 0x77, Alu64MovK = 0xb7, Alu64MovX = 0xbf, JneK = 0x55, Exit = 0x95;

    /// <summary>Loads the program for <paramref name="rules"/> and attaches it to the cgroup directory.</summary>
    public static void Apply(IReadOnlyList<LinuxDeviceCgroup> rules, string cgroupDir)
    {
        using var program = Load(Compile(rules));
        using var cgroup = OpenFd(cgroupDir, O_RDONLY | O_DIRECTORY);
        Attach(program, cgroup);
    }

    internal static byte[] Compile(IReadOnlyList<LinuxDeviceCgroup> rules)
    {
        var code = new List<byte[]>
        {
            Insn(LdxMemW, 2, 1, 0, 0),
            Insn(Alu64AndK, 2, 0, 0, 0xffff),
            Insn(LdxMemW, 3, 1, 0, 0),
            Insn(Alu64RshK, 3, 0, 0, 16),
            Insn(LdxMemW, 4, 1, 4, 0),
            Insn(LdxMemW, 5, 1, 8, 0),
        };
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            var rule = rules[i];
            var tests = new List<(byte Code, byte Dst, byte Src, int Imm)>();
            switch (rule.Type ?? "a")
            {
                case "a": break;
                case "b": tests.Add((JneK, 2, 0, 1)); break;
                case "c": tests.Add((JneK, 2, 0, 2)); break;
                default: throw BerthException.Invalid($"device rule: unknown type \"{rule.Type}\"");
            }
            var access = Access(rule.Access);
            if (access != 7)
            {
                // r1 = access; r1 &= ~A; r1 ≠ 0 → next
                tests.Add((Alu64MovX, 1, 3, 0));
                tests.Add((Alu64AndK, 1, 0, ~access));
                tests.Add((JneK, 1, 0, 0));
            }
            if (rule.Major is { } major and >= 0) tests.Add((JneK, 4, 0, checked((int)major)));
            if (rule.Minor is { } minor and >= 0) tests.Add((JneK, 5, 0, checked((int)minor)));
            var block = tests.Count + 2; // the tests, then r0 = allow; exit
            for (var t = 0; t < tests.Count; t++)
            {
                var (op, dst, src, imm) = tests[t];
                // A jump skips what is left of this rule's block.
                code.Add(Insn(op, dst, src, op == JneK ? (short)(block - t - 1) : (short)0, imm));
            }
            code.Add(Insn(Alu64MovK, 0, 0, 0, rule.Allow ? 1 : 0));
            code.Add(Insn(Exit, 0, 0, 0, 0));
            // A rule that matches everything answers for every earlier one (the verifier refuses unreachable code).
            if (tests.Count == 0) return [.. code.SelectMany(c => c)];
        }
        code.Add(Insn(Alu64MovK, 0, 0, 0, 0));
        code.Add(Insn(Exit, 0, 0, 0, 0));
        return [.. code.SelectMany(c => c)];
    }

    private static int Access(string? access)
    {
        var bits = 0;
        foreach (var c in access ?? "rwm")
        {
            bits |= c switch
            {
                'm' => 1, 'r' => 2, 'w' => 4,
                _ => throw BerthException.Invalid($"device rule: unknown access \"{access}\""),
            };
        }
        return bits == 0 ? 7 : bits;
    }

    private static byte[] Insn(byte code, byte dst, byte src, short off, int imm)
    {
        var b = new byte[8];
        b[0] = code;
        b[1] = (byte)((src << 4) | (dst & 0xf));
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2), off);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), imm);
        return b;
    }

    private static unsafe SafeFdHandle Load(byte[] program)
    {
        var license = "Apache\0"u8;
        var log = new byte[64 * 1024];
        var attr = stackalloc byte[128];
        new Span<byte>(attr, 128).Clear();
        fixed (byte* insns = program)
        fixed (byte* lic = license)
        fixed (byte* logBuf = log)
        {
            *(uint*)(attr + 0) = BpfProgTypeCgroupDevice;
            *(uint*)(attr + 4) = (uint)(program.Length / 8);
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            *(uint*)(attr + 24) = 1;                 // log_level
            *(uint*)(attr + 28) = (uint)log.Length;  // log_size
            *(ulong*)(attr + 32) = (ulong)logBuf;
            var fd = syscall(SyscallNumbers.bpf, BpfProgLoad, (long)attr, 128, 0, 0, 0);
            if (fd < 0)
            {
                var verifier = System.Text.Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
                throw new SyscallException(Last, "bpf(BPF_PROG_LOAD) of the device filter", verifier.Length > 0 ? verifier : null);
            }
            return new SafeFdHandle((int)fd);
        }
    }

    private static unsafe void Attach(SafeFdHandle program, SafeFdHandle cgroup)
    {
        var attr = stackalloc byte[128];
        new Span<byte>(attr, 128).Clear();
        *(uint*)(attr + 0) = (uint)cgroup.Fd;      // target_fd
        *(uint*)(attr + 4) = (uint)program.Fd;     // attach_bpf_fd
        *(uint*)(attr + 8) = BpfCgroupDevice;      // attach_type
        *(uint*)(attr + 12) = BpfFAllowMulti;      // attach_flags
        if (syscall(SyscallNumbers.bpf, BpfProgAttach, (long)attr, 128, 0, 0, 0) < 0)
            throw new SyscallException(Last, "bpf(BPF_PROG_ATTACH) of the device filter", null);
    }
}
