namespace Berth.Storage.Content;

/// <summary>Lets a caller look at the first bytes of a non-seekable stream (magic numbers) before reading it.</summary>
public sealed class PeekStream(Stream inner) : Stream
{
    private byte[] _head = [];
    private int _headPos;

    public ReadOnlySpan<byte> Peek(int count)
    {
        if (_head.Length - _headPos < count)
        {
            var buf = new byte[count];
            int have = _head.Length - _headPos;
            _head.AsSpan(_headPos).CopyTo(buf);
            while (have < count)
            {
                int n = inner.Read(buf, have, count - have);
                if (n == 0) break;
                have += n;
            }
            _head = buf[..have];
            _headPos = 0;
        }
        return _head.AsSpan(_headPos, Math.Min(count, _head.Length - _headPos));
    }

    public override int Read(Span<byte> buffer)
    {
        if (_headPos < _head.Length)
        {
            int n = Math.Min(buffer.Length, _head.Length - _headPos);
            _head.AsSpan(_headPos, n).CopyTo(buffer);
            _headPos += n;
            return n;
        }
        return inner.Read(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        _headPos < _head.Length ? Read(buffer.Span) : await inner.ReadAsync(buffer, ct);

    public void Drain()
    {
        var buf = new byte[1 << 16];
        while (Read(buf) > 0) { }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
