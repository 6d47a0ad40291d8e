using Berth.Oci.Errors;

namespace Berth.Interop;

/// <summary>A failed system call: its errno, the call and the path or object it acted on. Its kind comes from
/// <see cref="Errno.KindOf"/>.</summary>
public sealed class SyscallException : BerthException
{
    public SyscallException(int errno, string call, string? path = null, string? subject = null)
        : base(Interop.Errno.KindOf(errno), Describe(errno, call, path, subject))
    {
        Errno = errno;
        Call = call;
        Path = path;
    }

    public int Errno { get; }

    public string Call { get; }

    public string? Path { get; }

    private static string Describe(int errno, string call, string? path, string? subject)
    {
        string what = subject is null ? "" : subject + ": ";
        string where = path is null ? "" : $" {path}";
        return $"{what}{call}{where}: {Interop.Errno.Describe(errno)} (errno {errno})";
    }
}
