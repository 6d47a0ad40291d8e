using Berth.Oci.Errors;

namespace Berth.Runtime.Interop;

/// <summary>A failed system call: the call, the errno and the path or object it acted on.</summary>
public sealed class SyscallException : BerthException
{
    public SyscallException(string call, int errno, string? subject)
        : base(KindOf(errno), Format(call, errno, subject))
    {
        Call = call;
        Errno = errno;
        Subject = subject;
    }

    public string Call { get; }
    public int Errno { get; }
    public string? Subject { get; }

    private static string Format(string call, int errno, string? subject) =>
        subject is null ? $"{call}: {Interop.StrError(errno)}" : $"{call} {subject}: {Interop.StrError(errno)}";

    private static ErrorKind KindOf(int errno) => errno switch
    {
        Interop.ENOENT => ErrorKind.NotFound,
        Interop.EEXIST or Interop.EBUSY => ErrorKind.Conflict,
        Interop.EPERM or Interop.EACCES => ErrorKind.PermissionDenied,
        Interop.EINVAL => ErrorKind.InvalidArgument,
        Interop.ENOSYS or Interop.EOPNOTSUPP => ErrorKind.NotImplemented,
        _ => ErrorKind.Internal,
    };
}
