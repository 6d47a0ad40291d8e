using System.Buffers.Binary;

namespace Berth.Api.Streams;

/// <summary>docker's multiplexed stream (moby <c>pkg/stdcopy</c>): each frame is an 8-byte header — the stream
/// (0 stdin, 1 stdout, 2 stderr), three zero bytes, the payload's length as big-endian uint32 — then the payload.
/// Used when the container has no TTY; a TTY's output is sent raw.</summary>
public static class StdCopy
{
    public const byte Stdin = 0, Stdout = 1, Stderr = 2;

    public static void WriteHeader(Span<byte> header, byte stream, int length)
    {
        header[0] = stream;
        header[1] = header[2] = header[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)length);
    }

    /// <summary>Writes one frame (header and payload in one write: one frame per chunk, as dockerd).</summary>
    public static void WriteFrame(Stream output, byte stream, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[8 + payload.Length];
        WriteHeader(buffer, stream, payload.Length);
        payload.CopyTo(buffer.AsSpan(8));
        output.Write(buffer);
    }
}
