using System.Runtime.InteropServices;

namespace Berth.Runtime.Interop;

/// <summary>A file descriptor. 0 is a valid descriptor; -1 is the invalid one.</summary>
public sealed class SafeFdHandle : SafeHandle
{
    public SafeFdHandle() : base(-1, ownsHandle: true) { }

    public SafeFdHandle(int fd, bool ownsHandle = true) : base(-1, ownsHandle) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    /// <summary>The descriptor number, for building <c>/proc/self/fd/N</c> paths and file actions.</summary>
    public int Fd => (int)handle;

    public string ProcPath => $"/proc/self/fd/{Fd}";

    protected override bool ReleaseHandle() => Interop.close((int)handle) == 0;
}
