namespace Berth.Interop;

/// <summary>Random bytes straight from the kernel's CSPRNG (<c>/dev/urandom</c>), for IDs, MAC addresses and veth
/// names. <see cref="System.Security.Cryptography.RandomNumberGenerator"/> would do the same through OpenSSL, whose
/// loading (libssl, libcrypto, openssl.cnf) costs milliseconds of every <c>berth run</c> that needs one.</summary>
public static class KernelRandom
{
    public static void Fill(Span<byte> buffer)
    {
        using var urandom = File.OpenHandle("/dev/urandom");
        if (RandomAccess.Read(urandom, buffer, 0) != buffer.Length) throw new IOException("short read from /dev/urandom");
    }

    /// <summary><paramref name="bytes"/> random bytes as lower-case hex (docker's IDs: 32 bytes, 64 digits).</summary>
    public static string Hex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        Fill(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
