namespace Berth.Api.Streams;

/// <summary>A write-only stream that frames what is written as one stream of docker's multiplexed format
/// (<see cref="StdCopy"/>): each write one frame, written whole under a lock shared with the other stream's writer,
/// so stdout and stderr relayed by two threads never interleave inside a frame.</summary>
internal sealed class MultiplexedStream(Stream inner, byte stream, Lock gate) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty) return;
        lock (gate)
        {
            StdCopy.WriteFrame(inner, stream, buffer);
            inner.Flush();
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A write-only view of a stream whose writes are serialized with <paramref name="gate"/> (a TTY's raw
/// output, or an exec's one stream) and flushed at once.</summary>
internal sealed class LockedWriteStream(Stream inner, Lock gate) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (gate)
        {
            inner.Write(buffer);
            inner.Flush();
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
