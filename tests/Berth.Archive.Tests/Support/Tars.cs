using System.Formats.Tar;
using System.Text;

namespace Berth.Archive.Tests.Support;

/// <summary>Builds archives in memory with System.Formats.Tar, which writes whatever names it is given.</summary>
internal static class Tars
{
    public static byte[] Build(params TarEntry[] entries)
    {
        using MemoryStream ms = new();
        using (TarWriter writer = new(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (TarEntry entry in entries) writer.WriteEntry(entry);
        }

        return ms.ToArray();
    }

    public static TarEntry File(string name, string content = "", UnixFileMode mode = (UnixFileMode)0x1A4, int uid = 0, int gid = 0)
    {
        PaxTarEntry e = new(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            Mode = mode,
            Uid = uid,
            Gid = gid,
        };
        return e;
    }

    public static TarEntry Dir(string name, UnixFileMode mode = (UnixFileMode)0x1ED) =>
        new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode };

    public static TarEntry Symlink(string name, string target) =>
        new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1FF };

    public static TarEntry Hardlink(string name, string target) =>
        new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1A4 };

    public static TarEntry Device(string name, TarEntryType type, int major, int minor) =>
        new PaxTarEntry(type, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0x1B6 };

    public static TarEntry Fifo(string name) => new PaxTarEntry(TarEntryType.Fifo, name) { Mode = (UnixFileMode)0x1A4 };

    /// <summary>Entry names of an archive, read back with System.Formats.Tar.</summary>
    public static List<(string Name, TarEntryType Type, string? Link)> List(byte[] tar)
    {
        List<(string, TarEntryType, string?)> names = [];
        using TarReader reader = new(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add((entry.Name, entry.EntryType, entry.LinkName == "" ? null : entry.LinkName));
        }

        return names;
    }

    public static ApplyResult Apply(byte[] tar, string root, ApplyOptions? options = null) =>
        LayerApplier.Apply(new MemoryStream(tar), root, options ?? ApplyOptions.Default, TestContext.Current.CancellationToken);

    public static byte[] Write(string dir, WriteOptions? options = null)
    {
        using MemoryStream ms = new();
        LayerWriter.WriteDirectory(dir, ms, options ?? WriteOptions.Default, TestContext.Current.CancellationToken);
        return ms.ToArray();
    }
}
