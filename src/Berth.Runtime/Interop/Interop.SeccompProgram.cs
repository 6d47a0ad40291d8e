using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const uint MFD_CLOEXEC = 1;
    internal const int SECCOMP_SET_MODE_FILTER = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct sock_fprog
    {
        public ushort len;
        public byte* filter;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct scmp_version
    {
        public uint major, minor, micro;
    }

    [LibraryImport(Libraries.Seccomp)]
    internal static partial int seccomp_export_bpf(nint ctx, int fd);

    [LibraryImport(Libraries.Seccomp)]
    internal static unsafe partial scmp_version* seccomp_version();

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int memfd_create(string name, uint flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint pread(int fd, byte* buf, nint count, long offset);

    /// <summary>The whole content of a (small) file from offset 0, whatever its position.</summary>
    internal static unsafe byte[] ReadWhole(SafeFdHandle fd, int limit, string subject)
    {
        var buffer = new byte[limit];
        var total = 0;
        fixed (byte* p = buffer)
        {
            while (total < limit)
            {
                var n = (long)pread(fd.Fd, p + total, limit - total, total);
                if (n < 0 && Last == EINTR) continue;
                CheckIo(n, "read", subject);
                if (n == 0) break;
                total += (int)n;
            }
        }
        return buffer.AsSpan(0, total).ToArray();
    }

    /// <summary>Installs a classic BPF program as the calling thread's seccomp filter, as seccomp_load does.</summary>
    internal static unsafe void LoadSeccompProgram(ReadOnlySpan<byte> program)
    {
        fixed (byte* p = program)
        {
            var prog = new sock_fprog { len = (ushort)(program.Length / 8), filter = p };
            var nr = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 277 : 317;
            CheckIo(syscall(nr, SECCOMP_SET_MODE_FILTER, 0, (long)&prog, 0, 0, 0), "seccomp(SECCOMP_SET_MODE_FILTER)");
        }
    }

    internal static unsafe string SeccompLibraryVersion()
    {
        var v = seccomp_version();
        return v == null ? "?" : $"{v->major}.{v->minor}.{v->micro}";
    }

    /// <summary>One message of up to <paramref name="limit"/> bytes, received into native memory so that a large
    /// limit costs no large-object allocation (and no GC) in a short-lived process.</summary>
    internal static unsafe byte[] ReceiveMessage(SafeFdHandle socket, int limit, out SafeFdHandle? fd)
    {
        var buffer = (byte*)NativeMemory.Alloc((nuint)limit);
        try
        {
            var n = ReceiveWithFd(socket, new Span<byte>(buffer, limit), out fd);
            return new Span<byte>(buffer, n).ToArray();
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }
}
