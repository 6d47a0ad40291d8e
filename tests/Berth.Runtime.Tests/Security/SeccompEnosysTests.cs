using System.Buffers.Binary;
using Berth.Runtime.Security;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Tests.Security;

/// <summary>The compiled filter answers ENOSYS for syscalls newer than the profile, and is unchanged below that:
/// checked by running the classic BPF program the init installs, as the kernel would, on seccomp_data.</summary>
public sealed class SeccompEnosysTests
{
    private const uint AuditArchX86_64 = 0xC000003E, AuditArchAarch64 = 0xC00000B7;
    private const uint RetAllow = 0x7fff0000, RetErrno = 0x00050000;

    private static byte[] DockerDefaultProgram()
    {
        Berth.Testing.HostCapabilities.Require(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64, "x86_64 syscall numbers");
        var spec = SpecGenerator.Generate("c", new Oci.ContainerConfig { Cmd = ["sh"] }, new RunOptions(), SpecHost.Detect());
        return SeccompProgram.Get(spec.Linux!.Seccomp!, cacheDir: null);
    }

    [Fact]
    public void SyscallsNewerThanTheProfileFailWithEnosysAndKnownOnesKeepTheirAnswer()
    {
        var program = DockerDefaultProgram();
        uint Run(int nr, uint arch = AuditArchX86_64) => ClassicBpf.Run(program, nr, arch);

        Assert.Equal(RetAllow, Run(0));                       // read
        Assert.Equal(RetAllow, Run(231));                     // exit_group
        Assert.Equal(RetErrno | 1, Run(246));                 // kexec_load: named nowhere in the profile's allow list → EPERM
        Assert.Equal(RetErrno | 1, Run(272));                 // unshare without CAP_SYS_ADMIN → EPERM
        Assert.Equal(RetErrno | 38, Run(435));                // clone3: the profile's own ENOSYS rule
        Assert.Equal(RetErrno | 38, Run(1000));               // beyond every syscall the profile names → ENOSYS
        Assert.Equal(RetErrno | 38, Run(4095));
        // x32 calls are left to libseccomp's program (its x32 handling), not caught by the native check.
        Assert.NotEqual(RetErrno | 38, Run(0x40000000 | 1000));
    }

    [Fact]
    public void TheStubOnlyPrecedesTheProgram()
    {
        // Below the highest known number, and for other architectures, the answer is the original program's.
        var original = new byte[] { 0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f }; // ret ALLOW
        var patched = SeccompProgram.WithEnosysAbove(original, AuditArchX86_64, 450);
        Assert.Equal(original, patched[^8..]);
        Assert.Equal(RetAllow, ClassicBpf.Run(patched, 450, AuditArchX86_64));
        Assert.Equal(RetErrno | 38, ClassicBpf.Run(patched, 451, AuditArchX86_64));
        Assert.Equal(RetAllow, ClassicBpf.Run(patched, 451, AuditArchAarch64));
        Assert.Equal(RetAllow, ClassicBpf.Run(patched, unchecked((int)(0x40000000u | 451)), AuditArchX86_64));
    }
}

/// <summary>A classic BPF interpreter for seccomp programs (the subset libseccomp emits), over seccomp_data
/// { int nr; u32 arch; u64 ip; u64 args[6]; } with all arguments zero.</summary>
internal static class ClassicBpf
{
    public static uint Run(byte[] program, int nr, uint arch)
    {
        var data = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(data, nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch);
        uint a = 0, x = 0;
        var mem = new uint[16];
        var count = program.Length / 8;
        for (var pc = 0; pc < count; pc++)
        {
            var ins = program.AsSpan(pc * 8, 8);
            var code = BinaryPrimitives.ReadUInt16LittleEndian(ins);
            var jt = ins[2];
            var jf = ins[3];
            var k = BinaryPrimitives.ReadUInt32LittleEndian(ins[4..]);
            var cls = code & 0x07;
            var src = (code & 0x08) != 0 ? x : k;
            switch (cls)
            {
                case 0x00: // LD
                    a = (code & 0xe0) switch
                    {
                        0x20 => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)k)), // ABS
                        0x00 => k,                                                              // IMM
                        0x60 => mem[k],                                                         // MEM
                        _ => throw new NotSupportedException($"ld 0x{code:x}"),
                    };
                    break;
                case 0x01: // LDX
                    x = (code & 0xe0) switch { 0x00 => k, 0x60 => mem[k], _ => throw new NotSupportedException($"ldx 0x{code:x}") };
                    break;
                case 0x02: mem[k] = a; break; // ST
                case 0x03: mem[k] = x; break; // STX
                case 0x04: // ALU
                    a = (code & 0xf0) switch
                    {
                        0x00 => a + src, 0x10 => a - src, 0x40 => a | src, 0x50 => a & src,
                        0x60 => a << (int)src, 0x70 => a >> (int)src, 0x80 => (uint)-(int)a,
                        _ => throw new NotSupportedException($"alu 0x{code:x}"),
                    };
                    break;
                case 0x05: // JMP
                    var op = code & 0xf0;
                    if (op == 0x00) { pc += (int)k; break; }
                    var taken = op switch
                    {
                        0x10 => a == src, 0x20 => a > src, 0x30 => a >= src, 0x40 => (a & src) != 0,
                        _ => throw new NotSupportedException($"jmp 0x{code:x}"),
                    };
                    pc += taken ? jt : jf;
                    break;
                case 0x06: // RET
                    return (code & 0x18) == 0x10 ? a : k;
                case 0x07: // MISC
                    if ((code & 0xf8) == 0x00) x = a; else a = x;
                    break;
            }
        }
        throw new InvalidOperationException("the program fell off its end");
    }
}
