using System.Runtime.InteropServices;

namespace Berth.Archive.Interop;

/// <summary>An owned file descriptor. fd 0 is valid; -1 is the invalid value. Closed exactly once.</summary>
internal sealed class SafeFdHandle : SafeHandle
{
    public SafeFdHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public SafeFdHandle(int fd, bool ownsHandle = true) : base(invalidHandleValue: -1, ownsHandle)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle == -1;

    /// <summary>The raw descriptor, for <c>/proc/self/fd/N</c> paths and error messages only.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Interop.close((int)handle) == 0;
}
