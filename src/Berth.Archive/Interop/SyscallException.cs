using Berth.Oci.Errors;

namespace Berth.Archive.Interop;

/// <summary>A failed system call: carries errno, the call and the path it was made on.</summary>
public sealed class SyscallException : BerthException
{
    public SyscallException(ErrorKind kind, int errno, string call, string? path, string? subject = null)
        : base(kind, Describe(errno, call, path, subject))
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
        return $"{what}{call}{where}: {Interop.StrError(errno)} (errno {errno})";
    }
}
