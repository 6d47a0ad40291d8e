using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Runtime.Interop;

/// <summary>NUL-terminated UTF-8 strings and NULL-terminated string arrays (argv, envp) in native memory, for
/// execve and posix_spawn; freed together on dispose. A caller about to execve may simply not dispose.</summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly List<nint> _allocations = [];

    public byte* Utf8(string s)
    {
        var length = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)length + 1);
        _allocations.Add((nint)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    public byte** Array(IReadOnlyList<string> items)
    {
        var p = (byte**)NativeMemory.AllocZeroed((nuint)((items.Count + 1) * sizeof(nint)));
        _allocations.Add((nint)p);
        for (var i = 0; i < items.Count; i++) p[i] = Utf8(items[i]);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _allocations) NativeMemory.Free((void*)p);
        _allocations.Clear();
    }
}
