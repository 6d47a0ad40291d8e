using System.Text;
using Berth.Oci.Errors;

namespace Berth.Archive;

/// <summary>Entry names as the layer spec reads them: slash-separated bytes, rooted at the layer root.</summary>
internal static class EntryPath
{
    /// <summary>
    /// Lexically cleans <paramref name="name"/> (as Go's path.Clean): a leading "/" is dropped (absolute names are
    /// rooted in the layer, as Docker and BuildKit do), "." and empty components vanish, ".." pops. Returns false
    /// when a ".." would climb above the root. The result has no leading or trailing slash; "" is the root.
    /// </summary>
    public static bool TryClean(ReadOnlySpan<byte> name, out byte[] cleaned)
    {
        Span<byte> output = name.Length <= 1024 ? stackalloc byte[name.Length] : new byte[name.Length];
        int length = 0;
        while (!name.IsEmpty)
        {
            int slash = name.IndexOf((byte)'/');
            ReadOnlySpan<byte> component = slash < 0 ? name : name[..slash];
            name = slash < 0 ? [] : name[(slash + 1)..];
            if (component.IsEmpty || component.SequenceEqual("."u8)) continue;
            if (component.SequenceEqual(".."u8))
            {
                if (length == 0)
                {
                    cleaned = [];
                    return false;
                }

                int last = output[..length].LastIndexOf((byte)'/');
                length = last < 0 ? 0 : last;
                continue;
            }

            if (length > 0) output[length++] = (byte)'/';
            component.CopyTo(output[length..]);
            length += component.Length;
        }

        cleaned = output[..length].ToArray();
        return true;
    }

    public static byte[] Clean(ReadOnlySpan<byte> name, string what)
    {
        if (!TryClean(name, out byte[] cleaned))
        {
            throw new BerthException(ErrorKind.InvalidArgument,
                $"{what} \"{Encoding.UTF8.GetString(name)}\": path escapes the layer root (breakout attempt)");
        }

        return cleaned;
    }

    /// <summary>Linux's limits (linux/limits.h): NAME_MAX bytes per component, PATH_MAX bytes with the NUL for
    /// a whole path or a symlink target.</summary>
    public const int NameMax = 255, PathMax = 4095;

    /// <summary>The reason a cleaned path (or symlink target) exceeds Linux's limits, or null. docker fails such an
    /// entry with ENAMETOOLONG as it unpacks; berth refuses it before creating anything.</summary>
    public static string? TooLong(ReadOnlySpan<byte> path, bool componentsToo = true)
    {
        if (path.Length > PathMax) return $"file name too long ({path.Length} bytes, at most {PathMax})";
        if (!componentsToo) return null;
        foreach (var range in path.Split((byte)'/'))
        {
            int length = range.End.GetOffset(path.Length) - range.Start.GetOffset(path.Length);
            if (length > NameMax) return $"file name too long (a component of {length} bytes, at most {NameMax})";
        }
        return null;
    }

    public static void Split(byte[] path, out ReadOnlySpan<byte> parent, out ReadOnlySpan<byte> name)
    {
        int slash = path.AsSpan().LastIndexOf((byte)'/');
        parent = slash < 0 ? [] : path.AsSpan(0, slash);
        name = slash < 0 ? path : path.AsSpan(slash + 1);
    }

    public static byte[] Join(ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name) =>
        parent.IsEmpty ? name.ToArray() : [.. parent, (byte)'/', .. name];

    /// <summary>A set key that keeps every byte (Latin-1 maps bytes to chars one to one).</summary>
    public static string Key(ReadOnlySpan<byte> path) => Encoding.Latin1.GetString(path);
}
