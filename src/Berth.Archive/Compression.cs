namespace Berth.Archive;

/// <summary>The compressions a layer or an ADDed tar may come in, told apart by their magic bytes.</summary>
public enum Compression
{
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}
