using System.Text;

namespace Berth.Archive.Tar;

/// <summary>One archive member after its PAX/GNU extension headers were folded in. The reader reuses one
/// instance for every entry.</summary>
internal sealed class TarHeader
{
    public byte[] Name { get; set; } = [];

    public byte[] LinkName { get; set; } = [];

    public byte TypeFlag { get; set; }

    /// <summary>Permission bits plus setuid, setgid and sticky (07777).</summary>
    public uint Mode { get; set; }

    public long Uid { get; set; }

    public long Gid { get; set; }

    public long Size { get; set; }

    public long MtimeSeconds { get; set; }

    public uint MtimeNanoseconds { get; set; }

    public uint DevMajor { get; set; }

    public uint DevMinor { get; set; }

    /// <summary>From <c>SCHILY.xattr.*</c> PAX records, in archive order.</summary>
    public List<KeyValuePair<string, byte[]>> Xattrs { get; private set; } = [];

    /// <summary>Offset of this entry's first header (extension headers included) in the archive.</summary>
    public long Offset { get; set; }

    /// <summary>A copy that outlives the reader's next <c>MoveNext</c>, for work handed to another thread.</summary>
    public TarHeader Clone()
    {
        TarHeader copy = (TarHeader)MemberwiseClone();
        copy.Xattrs = [.. Xattrs];
        return copy;
    }

    public string DisplayName => Display(Name);

    public string DisplayLinkName => Display(LinkName);

    /// <summary>A name for messages: whole up to 200 bytes, else its head and tail with its length, so an error
    /// about a 5,000-byte name stays readable.</summary>
    private static string Display(byte[] name) =>
        name.Length <= 200 ? Encoding.UTF8.GetString(name)
            : $"{Encoding.UTF8.GetString(name, 0, 80)}…{Encoding.UTF8.GetString(name, name.Length - 40, 40)} ({name.Length} bytes)";
}
