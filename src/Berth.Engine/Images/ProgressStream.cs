namespace Berth.Engine.Images;

/// <summary>Reports how many bytes have been read through it, as docker's progress reader does: every 512 KiB and
/// at the end of the stream, so a terminal's bar moves without a report per read.</summary>
internal sealed class ProgressStream(Stream inner, Action<long> report) : Stream
{
    private const long Step = 512 << 10;
    private long _read;
    private long _reported;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _read += n;
        if (n == 0 ? _read != _reported : _read - _reported >= Step)
        {
            _reported = _read;
            report(_read);
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
