using System.Buffers;
using System.Runtime.InteropServices;
using Berth.Archive.Interop;
using Berth.Interop;

namespace Berth.Archive;

/// <summary>Lists a directory through its descriptor with getdents64, names as raw bytes.</summary>
internal static class DirectoryReader
{
    public const byte DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

    /// <summary>The names in <paramref name="dir"/> (an fd opened O_RDONLY|O_DIRECTORY), without "." and "..".</summary>
    public static List<(byte[] Name, byte Type)> Read(SafeFdHandle dir, string displayPath)
    {
        List<(byte[] Name, byte Type)> names = [];
        byte[] buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            while (true)
            {
                int n = Fs.GetDents(dir, buffer, displayPath);
                if (n == 0) break;
                int offset = 0;
                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                while (offset < n)
                {
                    ReadOnlySpan<byte> record = buffer.AsSpan(offset, n - offset);
                    int length = MemoryMarshal.Read<ushort>(record[16..]);
                    byte type = record[18];
                    ReadOnlySpan<byte> name = record[19..length];
                    int nul = name.IndexOf((byte)0);
                    if (nul >= 0) name = name[..nul];
                    offset += length;
                    if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                    names.Add((name.ToArray(), type));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return names;
    }
}
