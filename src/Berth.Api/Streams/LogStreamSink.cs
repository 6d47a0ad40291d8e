using System.Text;
using Berth.Engine.Containers;

namespace Berth.Api.Streams;

/// <summary>Delivers a container's log to <c>GET /containers/{id}/logs</c>: multiplexed frames without a TTY, the
/// raw bytes with one; only the streams asked for; with <c>timestamps</c> the entry's time and a space first, inside
/// the payload (as dockerd).</summary>
internal sealed class LogStreamSink(Stream output, bool tty, bool stdout, bool stderr, bool timestamps) : ILogSink
{
    public void Write(bool isStderr, ReadOnlySpan<byte> time, ReadOnlySpan<byte> text)
    {
        if (isStderr ? !stderr : !stdout) return;
        ReadOnlySpan<byte> payload = text;
        if (timestamps)
        {
            var fixedTime = LogTime.FixedNanos(time);
            var buffer = new byte[fixedTime.Length + 1 + text.Length];
            fixedTime.CopyTo(buffer, 0);
            buffer[fixedTime.Length] = (byte)' ';
            text.CopyTo(buffer.AsSpan(fixedTime.Length + 1));
            payload = buffer;
        }
        if (tty) output.Write(payload);
        else StdCopy.WriteFrame(output, isStderr ? StdCopy.Stderr : StdCopy.Stdout, payload);
    }

    public void Flush() => output.Flush();

    internal static readonly Encoding Utf8 = new UTF8Encoding(false);
}
