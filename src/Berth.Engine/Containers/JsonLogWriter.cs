using System.Text;
using System.Text.Json;

namespace Berth.Engine.Containers;

/// <summary>Writes a container's output in docker's json-file format: one JSON object per line,
/// <c>{"log":"text\n","stream":"stdout","time":"2024-05-01T12:00:00.123456789Z"}</c>, a record per line of output
/// (a partial line is flushed when it reaches 16 KiB or the stream ends, as docker does).</summary>
/// <see href="https://docs.docker.com/engine/logging/drivers/json-file/"/>
public sealed class JsonLogWriter : IDisposable
{
    private const int MaxLine = 16 * 1024;
    private readonly FileStream _file;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    public JsonLogWriter(string path, TimeProvider time)
    {
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        _time = time;
    }

    /// <summary>Copies a stream (a pipe from the container) into the log, line by line, and to
    /// <paramref name="echo"/> as it comes when given.</summary>
    public void Pump(Stream source, string stream, Stream? echo)
    {
        var buffer = new byte[MaxLine];
        var line = new MemoryStream();
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
            var span = buffer.AsSpan(0, n);
            while (span.Length > 0)
            {
                var nl = span.IndexOf((byte)'\n');
                if (nl < 0)
                {
                    line.Write(span);
                    if (line.Length >= MaxLine) Flush(line, stream);
                    break;
                }
                line.Write(span[..(nl + 1)]);
                Flush(line, stream);
                span = span[(nl + 1)..];
            }
        }
        if (line.Length > 0) Flush(line, stream);
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
        var bytes = JsonSerializer.SerializeToUtf8Bytes(entry, ContainerJsonContext.Compact.LogEntry);
        lock (_lock)
        {
            _file.Write(bytes);
            _file.WriteByte((byte)'\n');
            _file.Flush();
        }
    }

    public void Dispose() => _file.Dispose();
}
