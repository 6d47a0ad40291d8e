using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Berth.Engine.Containers;

/// <summary>Writes a container's output in docker's json-file format: one JSON object per line,
/// <c>{"log":"text\n","stream":"stdout","time":"2024-05-01T12:00:00.123456789Z"}</c>, a record per line of output
/// (a partial line is flushed when it reaches 16 KiB or the stream ends, as docker does). With a max-size the log
/// rotates as docker's: before an entry would take the file past max-size, <c>&lt;log&gt;.N</c> becomes
/// <c>&lt;log&gt;.N+1</c> (the one past max-file is deleted), the log becomes <c>&lt;log&gt;.1</c> (gzipped to
/// <c>&lt;log&gt;.1.gz</c> with compress) and a new log starts; so the files never hold more than max-size ×
/// max-file bytes (an entry longer than max-size gets a file of its own). Readers: <see cref="JsonLogReader"/>.</summary>
/// <see href="https://docs.docker.com/engine/logging/drivers/json-file/"/>
public sealed class JsonLogWriter : IDisposable
{
    private const int MaxLine = 16 * 1024;
    private readonly string _path;
    private readonly JsonFileOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _entry = new(1024);
    private readonly Utf8JsonWriter _json;
    private FileStream _file;
    private long _size;

    public JsonLogWriter(string path, JsonFileOptions options, TimeProvider time)
    {
        _path = path;
        _options = options;
        _time = time;
        _json = new Utf8JsonWriter(_entry, new JsonWriterOptions { Encoder = ContainerJsonContext.Compact.Options.Encoder });
        _file = Open(path);
        _size = _file.Length;
    }

    /// <summary>Makes the (empty) log file unless it is there: done before a container runs, as dockerd does, so that
    /// whoever follows the log from the moment the start returns finds the file the output will go to.</summary>
    public static void Create(string path)
    {
        using var file = Open(path);
    }

    // Unbuffered: each entry is one write(2), so a reader never sees half of one unless it reads mid-write.
    private static FileStream Open(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);

    /// <summary>Copies a stream (a pipe from the container) to <paramref name="echo"/> as it comes when given, and
    /// into <paramref name="log"/> line by line when given. Returns when the source ends, or when the echo fails and
    /// there is no log to keep writing (the source is then left unread, so the container's next write fails as it
    /// would have on the caller's closed descriptor).</summary>
    public static void Pump(Stream source, string stream, JsonLogWriter? log, Stream? echo)
    {
        var buffer = new byte[MaxLine];
        var line = log is null ? null : new MemoryStream();
        while (true)
        {
            int n;
            try
            {
                n = source.Read(buffer, 0, buffer.Length);
            }
            catch (IOException)
            {
                break;
            }
            if (n <= 0) break;
            if (echo is not null)
            {
                try
                {
                    echo.Write(buffer, 0, n);
                    echo.Flush();
                }
                catch (IOException)
                {
                    echo = null;
                }
            }
            if (log is null)
            {
                if (echo is null) return;
                continue;
            }
            var span = buffer.AsSpan(0, n);
            while (span.Length > 0)
            {
                var nl = span.IndexOf((byte)'\n');
                if (nl < 0)
                {
                    line!.Write(span);
                    if (line.Length >= MaxLine) log.Flush(line, stream);
                    break;
                }
                line!.Write(span[..(nl + 1)]);
                log.Flush(line, stream);
                span = span[(nl + 1)..];
            }
        }
        if (line is { Length: > 0 }) log!.Flush(line, stream);
    }

    private void Flush(MemoryStream line, string stream)
    {
        var entry = new LogEntry
        {
            Log = Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length),
            Stream = stream,
            Time = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        line.SetLength(0);
        lock (_lock)
        {
            _entry.ResetWrittenCount();
            _json.Reset(_entry);
            JsonSerializer.Serialize(_json, entry, ContainerJsonContext.Compact.LogEntry);
            _json.Flush();
            _entry.GetSpan(1)[0] = (byte)'\n';
            _entry.Advance(1);
            var bytes = _entry.WrittenSpan;
            if (_options.MaxSize is { } max && _size > 0 && _size + bytes.Length > max) Rotate();
            _file.Write(bytes);
            _size += bytes.Length;
        }
    }

    /// <summary>Shifts the rotated files up by one (dropping the oldest), moves the log to <c>.1</c> (gzipped with
    /// compress) and starts a new one. Each step is a rename, so a reader that lists the files sees each entry once;
    /// a reader following the log reads its open file to the end, then finds the new one.</summary>
    private void Rotate()
    {
        _file.Dispose();
        var keep = _options.MaxFile - 1;
        if (keep == 0)
        {
            File.Delete(_path);
        }
        else
        {
            foreach (var ext in (string[])["", ".gz"]) File.Delete($"{_path}.{keep}{ext}");
            for (var i = keep - 1; i >= 1; i--)
            {
                foreach (var ext in (string[])["", ".gz"])
                {
                    if (File.Exists($"{_path}.{i}{ext}")) File.Move($"{_path}.{i}{ext}", $"{_path}.{i + 1}{ext}", overwrite: true);
                }
            }
            File.Move(_path, _path + ".1", overwrite: true);
            if (_options.Compress) Gzip(_path + ".1");
        }
        _file = Open(_path);
        _size = 0;
    }

    /// <summary><paramref name="path"/> becomes <c>path.gz</c>: written aside, renamed in, then the original removed
    /// (readers prefer the uncompressed file while both exist).</summary>
    private static void Gzip(string path)
    {
        var temp = path + ".gz.tmp";
        using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var target = new FileStream(temp, FileMode.Create, FileAccess.Write))
        using (var gzip = new GZipStream(target, CompressionLevel.Fastest))
            source.CopyTo(gzip);
        File.Move(temp, path + ".gz", overwrite: true);
        File.Delete(path);
    }

    public void Dispose()
    {
        _json.Dispose();
        _file.Dispose();
    }
}
