namespace Berth.Engine.Containers;

/// <summary>Where <see cref="ContainerService.Logs"/> delivers a log's entries, in order. The spans are valid during
/// the call only.</summary>
public interface ILogSink
{
    /// <param name="stderr">The entry came from the container's stderr (else stdout).</param>
    /// <param name="time">The entry's time as the log holds it (RFC 3339, UTF-8).</param>
    /// <param name="text">What the container wrote, newline included (UTF-8).</param>
    void Write(bool stderr, ReadOnlySpan<byte> time, ReadOnlySpan<byte> text);

    /// <summary>The reader has caught up with the log: what was written so far should reach its reader now.</summary>
    void Flush();
}

/// <summary>Log times as docker's front ends print them.</summary>
public static class LogTime
{
    /// <summary>A log time as <c>docker logs -t</c> and the Engine API's <c>timestamps=1</c> give it (docker's
    /// RFC3339NanoFixed): RFC 3339 with exactly nine fraction digits.</summary>
    public static byte[] FixedNanos(ReadOnlySpan<byte> time)
    {
        var text = System.Text.Encoding.ASCII.GetString(time);
        if (!text.EndsWith('Z')) return System.Text.Encoding.ASCII.GetBytes(text);
        var dot = text.IndexOf('.');
        var fraction = dot < 0 ? "" : text[(dot + 1)..^1];
        if (fraction.Length >= 9 || !fraction.All(char.IsAsciiDigit)) return System.Text.Encoding.ASCII.GetBytes(text);
        return System.Text.Encoding.ASCII.GetBytes((dot < 0 ? text[..^1] : text[..dot]) + "." + fraction.PadRight(9, '0') + "Z");
    }
}
