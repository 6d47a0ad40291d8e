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
