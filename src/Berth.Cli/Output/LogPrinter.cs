using System.Text;
using Berth.Engine.Containers;

namespace Berth.Cli.Output;

/// <summary>Prints log entries as <c>docker logs</c> does: stdout entries on our stdout, stderr entries on our stderr,
/// with <c>-t</c> the time first (nine fraction digits), with <c>--details</c> the entry's extra attributes (berth
/// records none) and a space. Buffered, and flushed when the reader catches up or the entries switch streams, so
/// both streams on one terminal keep their order.</summary>
internal sealed class LogPrinter(Stream stdout, Stream stderr, bool timestamps, bool details) : ILogSink, IDisposable
{
    private readonly BufferedStream _out = new(stdout, 64 * 1024);
    private readonly BufferedStream _err = new(stderr, 64 * 1024);
    private BufferedStream? _last;

    public void Write(bool stderr, ReadOnlySpan<byte> time, ReadOnlySpan<byte> text)
    {
        var target = stderr ? _err : _out;
        if (_last is not null && _last != target) _last.Flush();
        _last = target;
        if (timestamps)
        {
            target.Write(LogTime.FixedNanos(time));
            target.WriteByte((byte)' ');
        }
        if (details) target.WriteByte((byte)' ');
        target.Write(text);
    }

    public void Flush()
    {
        _out.Flush();
        _err.Flush();
    }

    public void Dispose() => Flush();
}
