namespace Berth.Archive.Tar;

/// <summary>The typeflag byte of a tar header (POSIX ustar, plus the GNU and PAX extension types).</summary>
internal static class TarEntryType
{
    public const byte RegularV7 = 0;
    public const byte Regular = (byte)'0';
    public const byte HardLink = (byte)'1';
    public const byte SymbolicLink = (byte)'2';
    public const byte CharDevice = (byte)'3';
    public const byte BlockDevice = (byte)'4';
    public const byte Directory = (byte)'5';
    public const byte Fifo = (byte)'6';
    public const byte Contiguous = (byte)'7';
    public const byte PaxExtended = (byte)'x';
    public const byte PaxGlobal = (byte)'g';
    public const byte GnuLongName = (byte)'L';
    public const byte GnuLongLink = (byte)'K';
    public const byte GnuSparse = (byte)'S';
}
