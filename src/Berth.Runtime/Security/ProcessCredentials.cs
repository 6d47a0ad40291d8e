using Berth.Oci.Errors;
using Berth.Runtime.Spec;
using Berth.Interop;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;

namespace Berth.Runtime.Security;

/// <summary>Switches the calling thread to the container's user and capability sets. Capabilities, securebits and
/// credentials set through raw system calls are per-thread, so this runs on the thread that will execve, in runc's
/// order: bounding set → keep-caps → groups, gid, uid → capset → ambient.</summary>
internal static class ProcessCredentials
{
    public static unsafe void Apply(UserSpec user, LinuxCapabilities? caps, int lastCap)
    {
        var bounding = Capabilities.Mask(caps?.Bounding);
        for (var c = 0; c <= lastCap; c++)
        {
            if ((bounding & (1UL << c)) != 0) continue;
            // Dropping needs CAP_SETPCAP, which we still hold; EINVAL means the kernel does not know the capability.
            if (prctl(PR_CAPBSET_DROP, (ulong)c, 0, 0, 0) != 0 && Last != EINVAL)
                throw new SyscallException(Last, "prctl(PR_CAPBSET_DROP)", Capabilities.All.ElementAtOrDefault(c));
        }

        // Keep the permitted set across the uid change; capset below then sets exactly what the spec asks for.
        CheckIo(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
        var groups = (user.AdditionalGids ?? []).ToArray();
        CheckIo(setgroups_thread(groups), "setgroups");
        CheckIo(setresgid_thread(user.Gid, user.Gid, user.Gid), "setresgid", user.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        CheckIo(setresuid_thread(user.Uid, user.Uid, user.Uid), "setresuid", user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        CheckIo(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");

        var effective = Capabilities.Mask(caps?.Effective);
        var permitted = Capabilities.Mask(caps?.Permitted);
        var inheritable = Capabilities.Mask(caps?.Inheritable);
        var header = new cap_user_header { version = _LINUX_CAPABILITY_VERSION_3, pid = 0 };
        var data = stackalloc cap_user_data[2];
        data[0] = new cap_user_data { effective = (uint)effective, permitted = (uint)permitted, inheritable = (uint)inheritable };
        data[1] = new cap_user_data { effective = (uint)(effective >> 32), permitted = (uint)(permitted >> 32), inheritable = (uint)(inheritable >> 32) };
        if (capset(&header, data) != 0)
        {
            var errno = Last;
            // EPERM: a capability outside what we hold (e.g. berth runs with a reduced bounding set); name them.
            var held = stackalloc cap_user_data[2];
            var h = new cap_user_header { version = _LINUX_CAPABILITY_VERSION_3, pid = 0 };
            var missing = capget(&h, held) == 0
                ? permitted & ~(held[0].permitted | ((ulong)held[1].permitted << 32))
                : 0;
            var names = Capabilities.All.Where((_, bit) => (missing & (1UL << bit)) != 0).ToList();
            throw new SyscallException(errno, "capset", names.Count > 0 ? $"not held by berth: {string.Join(", ", names)}" : null);
        }

        CheckIo(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        foreach (var name in caps?.Ambient ?? [])
        {
            if (!Capabilities.TryGetNumber(name, out var bit)) continue;
            // The kernel raises an ambient capability only if it is permitted and inheritable; runc's own default
            // spec asks for ambient capabilities without inheritable ones, and runc leaves them out (EPERM): so do we.
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (ulong)bit, 0, 0) != 0 && Last != EPERM)
                throw new SyscallException(Last, "prctl(PR_CAP_AMBIENT_RAISE)", name);
        }
    }

    public static unsafe void SetRlimits(IReadOnlyList<PosixRlimit>? rlimits)
    {
        foreach (var r in rlimits ?? [])
        {
            var resource = r.Type switch
            {
                "RLIMIT_CPU" => 0, "RLIMIT_FSIZE" => 1, "RLIMIT_DATA" => 2, "RLIMIT_STACK" => 3, "RLIMIT_CORE" => 4,
                "RLIMIT_RSS" => 5, "RLIMIT_NPROC" => 6, "RLIMIT_NOFILE" => 7, "RLIMIT_MEMLOCK" => 8, "RLIMIT_AS" => 9,
                "RLIMIT_LOCKS" => 10, "RLIMIT_SIGPENDING" => 11, "RLIMIT_MSGQUEUE" => 12, "RLIMIT_NICE" => 13,
                "RLIMIT_RTPRIO" => 14, "RLIMIT_RTTIME" => 15,
                _ => throw BerthException.Invalid($"unknown rlimit {r.Type}"),
            };
            var limit = new rlimit { rlim_cur = r.Soft, rlim_max = r.Hard };
            CheckIo(prlimit(0, resource, &limit, null), "setrlimit", r.Type);
        }
    }
}
