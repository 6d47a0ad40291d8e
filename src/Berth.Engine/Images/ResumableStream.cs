namespace Berth.Engine.Images;

/// <summary>A download that survives a cut connection: when a read fails before <c>total</c> bytes have arrived,
/// the body is opened again from the current offset (an HTTP Range request) and reading goes on, so the
/// one-pass unpacker never sees the break. Gives up after three attempts in a row that bring no new byte.</summary>
internal sealed class ResumableStream(Stream first, Func<long, Stream> reopen, long total) : Stream
{
    private const int MaxFruitlessAttempts = 3;
    private Stream _current = first;
    private long _offset;
    private int _fruitless;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            try
            {
                int n = _current.Read(buffer);
                if (n > 0)
                {
                    _offset += n;
                    _fruitless = 0;
                }
                return n;
            }
            catch (IOException) when (_offset < total && _fruitless < MaxFruitlessAttempts)
            {
                _fruitless++;
                _current.Dispose();
                _current = reopen(_offset);
            }
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => total;
    public override long Position { get => _offset; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current.Dispose();
        base.Dispose(disposing);
    }
}
