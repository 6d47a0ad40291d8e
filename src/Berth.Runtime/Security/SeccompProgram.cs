using System.Globalization;
using System.Text;
using System.Text.Json;
using Berth.Runtime.Interop;
using Berth.Runtime.Spec;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Security;

/// <summary>A seccomp filter compiled once: libseccomp turns Docker's profile (300-odd rules) into the same classic
/// BPF program every time, and doing it in every init cost more CPU than anything else in <c>berth run</c>. The
/// caller (<see cref="ContainerRuntime.Create"/>) gets the program from a cache keyed by the exact
/// <c>linux.seccomp</c> section, compiling it on a miss, and hands it to the init in a sealed-size memfd; the
/// init installs it with seccomp(2) instead of compiling.
/// <para>Cache entries (<c>STATE_DIR/seccomp/&lt;hash&gt;</c>, root-only, gone at reboot) hold their key in full
/// — the libseccomp version, the architecture and the section's JSON — and a hit compares it byte for byte, so a
/// hash collision can only cost a compile, never give a container another container's filter.</para></summary>
internal static class SeccompProgram
{
    private const int MaxProgram = 4096 * 8; // BPF_MAXINSNS instructions of 8 bytes
    private static readonly byte[] Magic = "berth-seccomp-2\n"u8.ToArray();

    /// <summary>The compiled program for <paramref name="spec"/> in a memfd, for the init.</summary>
    public static SafeFdHandle ForInit(LinuxSeccomp spec, string? cacheDir)
    {
        var program = Get(spec, cacheDir);
        var fd = new SafeFdHandle(CheckIo(memfd_create("berth-seccomp", MFD_CLOEXEC), "memfd_create"));
        WriteAll(fd, program, "seccomp program");
        return fd;
    }

    /// <summary>In the init: the program the caller sent.</summary>
    public static byte[] Read(SafeFdHandle fd)
    {
        var program = ReadWhole(fd, MaxProgram + 1, "seccomp program");
        if (program.Length == 0 || program.Length > MaxProgram || program.Length % 8 != 0)
            throw new Oci.Errors.BerthException(Oci.Errors.ErrorKind.Internal, $"seccomp program of {program.Length} bytes");
        return program;
    }

    internal static byte[] Get(LinuxSeccomp spec, string? cacheDir)
    {
        var key = Key(spec);
        var path = cacheDir is null ? null : Path.Combine(cacheDir, Fnv1a(key).ToString("x16", CultureInfo.InvariantCulture));
        if (path is not null && TryReadEntry(path, key) is { } cached) return cached;

        byte[] program;
        using (var filter = SeccompFilter.Compile(spec))
        using (var memfd = new SafeFdHandle(CheckIo(memfd_create("berth-seccomp", MFD_CLOEXEC), "memfd_create")))
        {
            filter.Export(memfd);
            program = ReadWhole(memfd, MaxProgram + 1, "seccomp program");
            if (spec.DefaultAction is not ("SCMP_ACT_ALLOW" or "SCMP_ACT_LOG" or "SCMP_ACT_TRACE" or "SCMP_ACT_NOTIFY") && filter.HighestSyscall >= 0)
                program = WithEnosysAbove(program, seccomp_arch_native(), (uint)filter.HighestSyscall);
        }
        if (path is not null) TryWriteEntry(cacheDir!, path, key, program);
        return program;
    }

    // Classic BPF (linux/filter.h, linux/seccomp.h).
    private const ushort BpfLdWAbs = 0x20, BpfJeqK = 0x15, BpfJgtK = 0x25, BpfJsetK = 0x45, BpfRetK = 0x06;
    private const uint SeccompRetErrno = 0x00050000, X32SyscallBit = 0x40000000;
    private const int Enosys = 38;

    /// <summary>A syscall newer than the profile (and than libseccomp) fails with ENOSYS, not the profile's default
    /// EPERM: C libraries take ENOSYS to mean "not on this kernel" and fall back to an older call, where EPERM
    /// breaks them (a newer distribution's image on an older profile; runc patches its filters the same way). The
    /// check runs before libseccomp's program, for the native architecture only; x32 calls (the x32 bit set) are
    /// left to the program.
    /// <code>
    ///  0 ld  [4]                  arch
    ///  1 jeq #native, 0, 4        → 2 ; other architectures → 6
    ///  2 ld  [0]                  nr
    ///  3 jset #0x40000000, 2, 0   x32 → 6
    ///  4 jgt #highest, 0, 1       → 5 ; else → 6
    ///  5 ret #ERRNO(ENOSYS)
    ///  6 (the compiled program)
    /// </code></summary>
    internal static byte[] WithEnosysAbove(byte[] program, uint nativeArch, uint highest)
    {
        var stub = new byte[6 * 8];
        void Put(int i, ushort code, byte jt, byte jf, uint k)
        {
            var span = stub.AsSpan(i * 8, 8);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(span, code);
            span[2] = jt;
            span[3] = jf;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[4..], k);
        }
        Put(0, BpfLdWAbs, 0, 0, 4);
        Put(1, BpfJeqK, 0, 4, nativeArch);
        Put(2, BpfLdWAbs, 0, 0, 0);
        Put(3, BpfJsetK, 2, 0, X32SyscallBit);
        Put(4, BpfJgtK, 0, 1, highest);
        Put(5, BpfRetK, 0, 0, SeccompRetErrno | Enosys);
        if (stub.Length + program.Length > MaxProgram) return program;
        return [.. stub, .. program];
    }

    private static byte[] Key(LinuxSeccomp spec)
    {
        var head = Encoding.UTF8.GetBytes($"{SeccompLibraryVersion()} {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}\n");
        var json = JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeJsonWriter.Default.LinuxSeccomp);
        return [.. Magic, .. head, .. json];
    }

    private static byte[]? TryReadEntry(string path, byte[] key)
    {
        try
        {
            using var fd = OpenFd(path, O_RDONLY | O_NOFOLLOW);
            var entry = ReadWhole(fd, 4 + key.Length + MaxProgram + 1, path);
            if (entry.Length < 4 + key.Length || BitConverter.ToInt32(entry, 0) != key.Length) return null;
            if (!entry.AsSpan(4, key.Length).SequenceEqual(key)) return null;
            var program = entry.AsSpan(4 + key.Length);
            return program.Length is > 0 and <= MaxProgram && program.Length % 8 == 0 ? program.ToArray() : null;
        }
        catch (SyscallException)
        {
            return null;
        }
    }

    private static void TryWriteEntry(string dir, string path, byte[] key, byte[] program)
    {
        // Only root's: a writable cache would let anyone hand containers a filter.
        if (!Environment.IsPrivilegedProcess) return;
        try
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var tmp = $"{path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                f.Write(BitConverter.GetBytes(key.Length));
                f.Write(key);
                f.Write(program);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> data)
    {
        var h = 14695981039346656037UL;
        foreach (var b in data) h = (h ^ b) * 1099511628211UL;
        return h;
    }
}
