using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Rootfs;

/// <summary>A spec mount's <c>options</c> split into mount(2) flags, propagation flags and filesystem data, as
/// mount(8) and runc's parseMountOptions read them.</summary>
public sealed record MountOptions(ulong Flags, ulong Propagation, string Data)
{
    public bool IsBind => (Flags & MS_BIND) != 0;
    public bool IsRecursive => (Flags & MS_REC) != 0;
    public bool IsReadOnly => (Flags & MS_RDONLY) != 0;

    public static MountOptions Parse(IEnumerable<string>? options)
    {
        ulong flags = 0, propagation = 0;
        var data = new List<string>();
        foreach (var raw in options ?? [])
        {
            var o = raw.Trim();
            switch (o)
            {
                case "": break;
                case "ro": flags |= MS_RDONLY; break;
                case "rw": flags &= ~MS_RDONLY; break;
                case "nosuid": flags |= MS_NOSUID; break;
                case "suid": flags &= ~MS_NOSUID; break;
                case "nodev": flags |= MS_NODEV; break;
                case "dev": flags &= ~MS_NODEV; break;
                case "noexec": flags |= MS_NOEXEC; break;
                case "exec": flags &= ~MS_NOEXEC; break;
                case "sync": flags |= MS_SYNCHRONOUS; break;
                case "async": flags &= ~MS_SYNCHRONOUS; break;
                case "dirsync": flags |= MS_DIRSYNC; break;
                case "remount": flags |= MS_REMOUNT; break;
                case "mand": flags |= MS_MANDLOCK; break;
                case "nomand": flags &= ~MS_MANDLOCK; break;
                case "atime": flags &= ~MS_NOATIME; break;
                case "noatime": flags |= MS_NOATIME; break;
                case "diratime": flags &= ~MS_NODIRATIME; break;
                case "nodiratime": flags |= MS_NODIRATIME; break;
                case "relatime": flags |= MS_RELATIME; break;
                case "norelatime": flags &= ~MS_RELATIME; break;
                case "strictatime": flags |= MS_STRICTATIME; break;
                case "nostrictatime": flags &= ~MS_STRICTATIME; break;
                case "nosymfollow": flags |= MS_NOSYMFOLLOW; break;
                case "symfollow": flags &= ~MS_NOSYMFOLLOW; break;
                case "bind": flags |= MS_BIND; break;
                case "rbind": flags |= MS_BIND | MS_REC; break;
                case "private": propagation = MS_PRIVATE; break;
                case "rprivate": propagation = MS_PRIVATE | MS_REC; break;
                case "shared": propagation = MS_SHARED; break;
                case "rshared": propagation = MS_SHARED | MS_REC; break;
                case "slave": propagation = MS_SLAVE; break;
                case "rslave": propagation = MS_SLAVE | MS_REC; break;
                case "unbindable": propagation = MS_UNBINDABLE; break;
                case "runbindable": propagation = MS_UNBINDABLE | MS_REC; break;
                // runc extensions that change nothing here.
                case "tmpcopyup" or "rro" or "rrw" or "defaults": break;
                default: data.Add(o); break;
            }
        }
        return new MountOptions(flags, propagation, string.Join(',', data));
    }
}
