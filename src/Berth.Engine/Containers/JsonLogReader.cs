using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Berth.Storage.Files;

namespace Berth.Engine.Containers;

/// <summary>Reads a container's json-file log and the files rotated out of it (<see cref="JsonLogWriter"/>), oldest
/// first, in memory bounded by the longest line whatever the log's size. <c>--tail N</c> finds where the last N
/// lines start by reading backwards from the end in blocks (a gzipped file, which cannot be read backwards, is read
/// twice: to count its lines, then to skip all but the last ones), then streams forward from there; as docker's,
/// the tail is taken first and <c>--since</c>/<c>--until</c> filter what it gives. A follower then reads on from the
/// end, and across a rotation: it finishes the file it has open (now <c>.1</c>), reads any file rotated after it,
/// then opens the new log.
/// The files are opened when the reader is made, so a reader made before its container is removed still reads
/// everything written before the removal.</summary>
internal sealed class JsonLogReader : IDisposable
{
    private const int Block = 64 * 1024;
    /// <summary>The longest line kept (longer ones are skipped): an entry holds at most 16 KiB of output, six times
    /// that when every byte is escaped.</summary>
    private const int MaxLine = 1024 * 1024;
    private const int PollMilliseconds = 50;

    private readonly string _path;
    private readonly LogOptions _options;
    private ILogSink _sink = null!;
    private byte[] _text = new byte[Block];
    private readonly FileStream? _live;
    private readonly ulong _liveInode;
    private readonly List<(FileStream File, bool Gzip)> _rotated;

    public JsonLogReader(string path, LogOptions options)
    {
        _path = path;
        _options = options;
        (_live, _liveInode, _rotated) = Snapshot();
    }

    public void Dispose()
    {
        _live?.Dispose();
        foreach (var (file, _) in _rotated) file.Dispose();
    }

    /// <summary>Writes the log's entries to <paramref name="sink"/>; with <see cref="LogOptions.Follow"/>, keeps going
    /// while <paramref name="running"/> says the container runs. Once per reader.</summary>
    public void Read(ILogSink sink, Func<bool> running, CancellationToken ct)
    {
        _sink = sink;
        var (live, liveInode, rotated) = (_live, _liveInode, _rotated);
        // Where each file starts being read, newest first: an offset in a plain file, a count of lines to skip in
        // a gzipped one; null leaves the file out.
        var starts = new long?[rotated.Count];
        long liveStart = 0;
        if (_options.Tail is { } tail)
        {
            var need = tail;
            if (live is not null) liveStart = TailStart(live, live.Length, ref need);
            for (var i = rotated.Count - 1; i >= 0; i--)
            {
                if (need == 0) break;
                var (file, gzip) = rotated[i];
                starts[i] = gzip ? GzipTailSkip(file, ref need) : TailStart(file, file.Length, ref need);
            }
        }
        else
        {
            Array.Fill(starts, 0);
        }
        for (var i = 0; i < rotated.Count; i++)
        {
            if (starts[i] is { } start) ReadRotated(rotated[i].File, rotated[i].Gzip, start);
        }
        var lines = new LineBuffer();
        if (live is not null)
        {
            live.Position = liveStart;
            lines.ReadAll(live, Emit);
        }
        _sink.Flush();
        if (_options.Follow) Follow(live, liveInode, lines, running, ct);
    }

    private void Follow(FileStream? current, ulong inode, LineBuffer lines, Func<bool> running, CancellationToken ct)
    {
        var opened = new List<FileStream>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // Asked first: whatever was written before the container stopped is read below.
                var alive = running();
                if (current is not null) lines.ReadAll(current, Emit);
                _sink.Flush();
                var now = FileMetadata.TryLstat(_path, out var stat) ? stat.Inode : 0;
                if (now != 0 && now != inode)
                {
                    if (current is not null)
                    {
                        // Rotated: nothing more is written to our file; what came after it is in the files that
                        // followed it (when it is still there uncompressed to be found).
                        lines.ReadAll(current, Emit);
                        var index = IndexOfRotated(inode);
                        for (var i = index - 1; i >= 1; i--)
                        {
                            var (file, gzip) = OpenRotated(i);
                            if (file is null) continue;
                            using (file) ReadRotated(file, gzip, 0);
                        }
                    }
                    current = OpenWithInode(_path, out inode);
                    if (current is not null) opened.Add(current);
                    lines = new LineBuffer();
                    continue;
                }
                if (!alive) break;
                ct.WaitHandle.WaitOne(PollMilliseconds);
            }
        }
        finally
        {
            foreach (var f in opened) f.Dispose();
        }
    }

    /// <summary>The open log and the rotated files (oldest first), listed again if a rotation moved them meanwhile.</summary>
    private (FileStream? Live, ulong Inode, List<(FileStream File, bool Gzip)> Rotated) Snapshot()
    {
        for (var attempt = 0; ; attempt++)
        {
            var live = OpenWithInode(_path, out var inode);
            var rotated = new List<(FileStream File, bool Gzip)>();
            for (var i = 1; ; i++)
            {
                var (file, gzip) = OpenRotated(i);
                if (file is null) break;
                rotated.Add((file, gzip));
            }
            var still = FileMetadata.TryLstat(_path, out var stat) ? stat.Inode : 0;
            if (still == inode || attempt == 10)
            {
                rotated.Reverse();
                return (live, inode, rotated);
            }
            live?.Dispose();
            foreach (var (file, _) in rotated) file.Dispose();
        }
    }

    /// <summary><c>log.N</c>, else <c>log.N.gz</c> (the plain file while both exist: the gzip is being written).</summary>
    private (FileStream? File, bool Gzip) OpenRotated(int n)
    {
        if (TryOpen($"{_path}.{n}") is { } plain) return (plain, false);
        return (TryOpen($"{_path}.{n}.gz"), true);
    }

    /// <summary>The number of the rotated plain file that is <paramref name="inode"/>, or 0.</summary>
    private int IndexOfRotated(ulong inode)
    {
        for (var i = 1; ; i++)
        {
            var plain = FileMetadata.TryLstat($"{_path}.{i}", out var stat);
            if (plain && stat.Inode == inode) return i;
            if (!plain && !File.Exists($"{_path}.{i}.gz")) return 0;
        }
    }

    private static FileStream? TryOpen(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Opens <paramref name="path"/> and tells which file it is: the name is looked up before and after the
    /// open, and the open retried if a rotation renamed it in between.</summary>
    private static FileStream? OpenWithInode(string path, out ulong inode)
    {
        while (true)
        {
            inode = 0;
            if (!FileMetadata.TryLstat(path, out var before)) return null;
            var file = TryOpen(path);
            if (file is null) continue;
            if (FileMetadata.TryLstat(path, out var after) && after.Inode == before.Inode)
            {
                inode = before.Inode;
                return file;
            }
            file.Dispose();
        }
    }

    /// <summary>Where the last <paramref name="need"/> complete lines before <paramref name="end"/> start, read
    /// backwards in blocks; lowers <paramref name="need"/> by the lines found (0 when the file had enough).</summary>
    private static long TailStart(FileStream file, long end, ref int need)
    {
        var buffer = new byte[Block];
        var found = 0;
        var pos = end;
        while (pos > 0)
        {
            var length = (int)Math.Min(Block, pos);
            pos -= length;
            var read = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(0, length), pos);
            // The first newline from the end closes the last complete line; the (need+1)-th closes the line before
            // the first one wanted.
            for (var i = read - 1; i >= 0; i--)
            {
                if (buffer[i] != (byte)'\n') continue;
                if (++found == need + 1)
                {
                    need = 0;
                    return pos + i + 1;
                }
            }
        }
        need -= found;
        return 0;
    }

    /// <summary>How many lines of a gzipped file to skip to keep its last <paramref name="need"/>.</summary>
    private static long GzipTailSkip(FileStream file, ref int need)
    {
        long count = 0;
        var buffer = new byte[Block];
        using (var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true))
        {
            int n;
            while ((n = gzip.Read(buffer)) > 0) count += buffer.AsSpan(0, n).Count((byte)'\n');
        }
        file.Position = 0;
        if (count <= need)
        {
            need -= (int)count;
            return 0;
        }
        var skip = count - need;
        need = 0;
        return skip;
    }

    private void ReadRotated(FileStream file, bool gzip, long start)
    {
        var lines = new LineBuffer();
        if (!gzip)
        {
            file.Position = start;
            lines.ReadAll(file, Emit);
            return;
        }
        file.Position = 0;
        using var stream = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        var skip = start;
        lines.ReadAll(stream, line =>
        {
            if (skip > 0) skip--;
            else Emit(line);
        });
    }

    /// <summary>Decodes one line of the log and hands it to the sink; a line that is not a log entry is skipped.</summary>
    private void Emit(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty) return;
        ReadOnlySpan<byte> text = default, time = default;
        var stderr = false;
        var hasLog = false;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("log"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String) return;
                    text = Unescaped(ref reader);
                    hasLog = true;
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    stderr = reader.ValueTextEquals("stderr"u8);
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    reader.Read();
                    // RFC 3339 has nothing to escape.
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped) time = reader.ValueSpan;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return;
        }
        if (!hasLog || !InWindow(time)) return;
        _sink.Write(stderr, time, text);
    }

    private ReadOnlySpan<byte> Unescaped(scoped ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan;
        if (_text.Length < reader.ValueSpan.Length) _text = new byte[reader.ValueSpan.Length];
        return _text.AsSpan(0, reader.CopyString(_text));
    }

    /// <summary>--since/--until; an entry whose time does not parse is kept.</summary>
    private bool InWindow(ReadOnlySpan<byte> time)
    {
        if (_options.Since is null && _options.Until is null) return true;
        if (!TryParseTime(time, out var t)) return true;
        return (_options.Since is not { } since || t >= since) && (_options.Until is not { } until || t <= until);
    }

    /// <summary>RFC 3339 with up to nine fraction digits (docker writes nine, .NET parses seven).</summary>
    internal static bool TryParseTime(ReadOnlySpan<byte> time, out DateTimeOffset value)
    {
        var s = Encoding.ASCII.GetString(time);
        var dot = s.IndexOf('.');
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
            if (end - dot - 1 > 7) s = s[..(dot + 8)] + s[end..];
        }
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    private delegate void LineHandler(ReadOnlySpan<byte> line);

    /// <summary>Splits a stream into lines in one reused buffer; a partial last line is kept for the next read (a
    /// follower reads it once the writer has finished it).</summary>
    private sealed class LineBuffer
    {
        private byte[] _buffer = new byte[Block];
        private int _start, _end;
        /// <summary>Inside a line longer than <see cref="MaxLine"/>: dropped up to its newline.</summary>
        private bool _skipping;

        public void ReadAll(Stream stream, LineHandler onLine)
        {
            while (true)
            {
                while (true)
                {
                    var pending = _buffer.AsSpan(_start, _end - _start);
                    var nl = pending.IndexOf((byte)'\n');
                    if (nl < 0) break;
                    if (!_skipping) onLine(pending[..nl]);
                    _skipping = false;
                    _start += nl + 1;
                }
                if (_start > 0)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _buffer.Length)
                {
                    if (_buffer.Length < MaxLine) Array.Resize(ref _buffer, _buffer.Length * 2);
                    else
                    {
                        _skipping = true;
                        _end = 0;
                    }
                }
                var n = stream.Read(_buffer, _end, _buffer.Length - _end);
                if (n <= 0) return;
                _end += n;
            }
        }
    }
}
