using System.Buffers;
using Berth.Archive.Interop;
using Berth.Archive.Tar;
using Berth.Interop;

namespace Berth.Archive;

/// <summary>A small regular file the reader has read and handed to a <see cref="FileWriterPool"/> worker: its
/// header, its data in a pooled buffer, and its own descriptor for the parent directory the reader resolved.</summary>
internal sealed class PendingFile : IDisposable
{
    private byte[]? _data;

    public PendingFile(long sequence, TarHeader header, SafeFdHandle directory, byte[] name, byte[] data, int length)
    {
        Sequence = sequence;
        Header = header;
        Directory = directory;
        Name = name;
        _data = data;
        Length = length;
    }

    /// <summary>Position in the archive among handed-off files: the earliest failure is the one reported.</summary>
    public long Sequence { get; }

    /// <summary>A copy of the entry's header (the reader reuses its own).</summary>
    public TarHeader Header { get; }

    /// <summary>The parent directory, resolved inside the root by the reader and duplicated for this file.</summary>
    public SafeFdHandle Directory { get; }

    /// <summary>The final component, created in <see cref="Directory"/> without following a symlink.</summary>
    public byte[] Name { get; }

    public int Length { get; }

    public ReadOnlySpan<byte> Data => _data.AsSpan(0, Length);

    public void Dispose()
    {
        Directory.Dispose();
        byte[]? data = Interlocked.Exchange(ref _data, null);
        if (data is not null) ArrayPool<byte>.Shared.Return(data);
    }
}
