using System.Runtime.InteropServices;

namespace Berth.Interop;

/// <summary>An owned file descriptor. fd 0 is valid; -1 is the invalid value. Closed exactly once.</summary>
public sealed class SafeFdHandle : SafeHandle
{
    public SafeFdHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public SafeFdHandle(int fd, bool ownsHandle = true) : base(invalidHandleValue: -1, ownsHandle)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle == -1;

    /// <summary>The raw descriptor, for <c>/proc/self/fd/N</c> paths, file actions and error messages only.</summary>
    public int Fd => (int)handle;

    public string ProcPath => $"/proc/self/fd/{Fd}";

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
