using Berth.Archive.Tests.Support;
using Berth.Oci.Errors;

namespace Berth.Archive.Tests;

public sealed class CompressionTests
{
    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0, 0, 0 }, Compression.Gzip)]
    [InlineData(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x58 }, Compression.Zstd)]
    [InlineData(new byte[] { (byte)'B', (byte)'Z', (byte)'h', (byte)'9', 0x31, 0x41 }, Compression.Bzip2)]
    [InlineData(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 }, Compression.Xz)]
    [InlineData(new byte[] { (byte)'b', (byte)'i', (byte)'n', (byte)'/', 0, 0 }, Compression.None)]
    [InlineData(new byte[0], Compression.None)]
    public void DetectReadsMagicBytes(byte[] head, Compression expected)
    {
        // Layers are told apart by content, not by media type alone (docker load and ADD have none).
        Assert.Equal(expected, Compressions.Detect(head));
    }

    [Theory]
    [InlineData(Compression.None)]
    [InlineData(Compression.Gzip)]
    [InlineData(Compression.Zstd)]
    public void CompressDetectDecompressRoundTripsOnNonSeekableStreams(Compression compression)
    {
        // A pull streams from the network: detection must peek without seeking and lose no byte.
        byte[] data = new byte[300_000];
        new Random(3).NextBytes(data);
        MemoryStream packed = new();
        using (Stream c = Compressions.Compress(packed, compression, leaveOpen: true)) c.Write(data);

        using Stream output = Compressions.OpenDecompressed(new NonSeekableStream(new MemoryStream(packed.ToArray())), out Compression detected);
        Assert.Equal(compression, detected);
        MemoryStream result = new();
        output.CopyTo(result);
        Assert.Equal(data, result.ToArray());
    }

    [Theory]
    [InlineData(Compression.Bzip2)]
    [InlineData(Compression.Xz)]
    public void UnsupportedCompressionsAreNotImplemented(Compression compression)
    {
        // Never fall back to an external xz/bzip2 binary (CVE-2014-9357).
        BerthException e = Assert.ThrowsAny<BerthException>(() => Compressions.Decompress(new MemoryStream([1, 2, 3]), compression));
        Assert.Equal(ErrorKind.NotImplemented, e.Kind);
    }

    [Fact]
    public void DetectAndWrapRewindsSeekableStreams()
    {
        MemoryStream ms = new([0x1F, 0x8B, 1, 2, 3, 4, 5, 6, 7]);
        Stream s = ms;
        Assert.Equal(Compression.Gzip, Compressions.DetectAndWrap(ref s));
        Assert.Same(ms, s);
        Assert.Equal(0, ms.Position);
    }
}
