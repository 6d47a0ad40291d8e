using Berth.Interop;
using Berth.Oci.Errors;

namespace Berth.Engine.Tests;

/// <summary>The one errno → error-kind map every layer's failed system call goes through (and so the CLI's exit
/// and the Engine API's status).</summary>
public sealed class ErrnoKindTests
{
    [Theory]
    [InlineData(Errno.ENOENT, ErrorKind.NotFound)]
    [InlineData(Errno.ESRCH, ErrorKind.NotFound)]
    [InlineData(Errno.ENODEV, ErrorKind.NotFound)]
    [InlineData(Errno.EEXIST, ErrorKind.Conflict)]
    [InlineData(Errno.ENOTEMPTY, ErrorKind.Conflict)]
    [InlineData(Errno.EBUSY, ErrorKind.Conflict)]
    [InlineData(Errno.ETXTBSY, ErrorKind.Conflict)]
    [InlineData(Errno.EADDRINUSE, ErrorKind.Conflict)]
    [InlineData(Errno.EPERM, ErrorKind.PermissionDenied)]
    [InlineData(Errno.EACCES, ErrorKind.PermissionDenied)]
    [InlineData(Errno.EROFS, ErrorKind.PermissionDenied)]
    [InlineData(Errno.ENOSYS, ErrorKind.NotImplemented)]
    [InlineData(Errno.EOPNOTSUPP, ErrorKind.NotImplemented)]
    [InlineData(Errno.EINVAL, ErrorKind.InvalidArgument)]
    [InlineData(Errno.ENAMETOOLONG, ErrorKind.InvalidArgument)]
    [InlineData(Errno.ELOOP, ErrorKind.InvalidArgument)]
    [InlineData(Errno.ENOTDIR, ErrorKind.InvalidArgument)]
    [InlineData(Errno.EXDEV, ErrorKind.InvalidArgument)]
    [InlineData(Errno.ENOSPC, ErrorKind.Unavailable)]
    [InlineData(Errno.EDQUOT, ErrorKind.Unavailable)]
    [InlineData(Errno.EAGAIN, ErrorKind.Unavailable)]
    [InlineData(Errno.EMFILE, ErrorKind.Unavailable)]
    [InlineData(Errno.EIO, ErrorKind.DataLoss)]
    [InlineData(Errno.EBADF, ErrorKind.Internal)]
    [InlineData(Errno.ECHILD, ErrorKind.Internal)]
    public void EachErrnoHasOneKind(int errno, ErrorKind kind) => Assert.Equal(kind, Errno.KindOf(errno));

    [Fact]
    public void ASyscallExceptionCarriesTheKindTheCallAndThePath()
    {
        var e = new SyscallException(Errno.ENOENT, "openat", "/no/such", "layer sha256:ab");
        Assert.Equal(ErrorKind.NotFound, e.Kind);
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal("layer sha256:ab: openat /no/such: No such file or directory (errno 2)", e.Message);
    }

    [Fact]
    public void AFailedCallThroughTheSharedCheckIsTheMappedException()
    {
        // statx of a missing path, as every layer stats: the errno and its kind come back, not a generic failure.
        Assert.Equal(Errno.ENOENT, Statx.TryOfPath("/no/such/path/at/all", out _));
        var e = Assert.Throws<SyscallException>(() => Statx.OfPath("/no/such/path/at/all"));
        Assert.Equal(ErrorKind.NotFound, e.Kind);
        var dir = Statx.OfPath("/");
        Assert.True(dir.IsDirectory);
        Assert.NotEqual(0UL, dir.Inode);
    }
}
