using Berth.Runtime.Interop;
using Berth.Interop;

namespace Berth.Runtime.Process;

/// <summary>A write-only stream on one of our own descriptors (stdout, stderr), for relaying a container's output to
/// the caller. Each write is write(2): it moves the descriptor's offset, which the caller's shell shares (a FileStream
/// keeps an offset of its own and writes at it), and a reader that went away (EPIPE) is an <see cref="IOException"/>
/// (the console stream drops such bytes without a word). The descriptor is not closed.</summary>
public sealed class DescriptorStream(int fd) : Stream
{
    private readonly SafeFdHandle _fd = new(fd, ownsHandle: false);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            Interop.Interop.WriteAll(_fd, buffer, $"descriptor {fd}");
        }
        catch (SyscallException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
