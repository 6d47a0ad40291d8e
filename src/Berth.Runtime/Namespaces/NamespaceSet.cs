using Berth.Oci.Errors;
using Berth.Runtime.Spec;
using static Berth.Runtime.Interop.Interop;

namespace Berth.Runtime.Namespaces;

/// <summary>The namespaces a spec asks for: those to create (an <c>unshare</c> flag mask) and those to join (by path).
/// The cgroup namespace is kept apart: it must be created by the init after it has been moved into the container's
/// cgroup, so that cgroup becomes the namespace's root.</summary>
public sealed record NamespaceSet(int CreateFlags, IReadOnlyList<(string Path, int Type)> Joins, bool CreateCgroupNamespace)
{
    public bool Has(int flag) => (CreateFlags & flag) != 0 || Joins.Any(j => j.Type == flag);

    public static NamespaceSet From(LinuxSpec? linux)
    {
        var create = 0;
        var joins = new List<(string, int)>();
        var cgroupns = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ns in linux?.Namespaces ?? [])
        {
            if (!seen.Add(ns.Type)) throw BerthException.Invalid($"namespace {ns.Type} listed twice");
            var flag = FlagOf(ns.Type);
            if (flag == CLONE_NEWUSER)
                throw new BerthException(ErrorKind.NotImplemented, "user namespaces (rootless containers) are not supported yet");
            if (flag == CLONE_NEWTIME)
                throw new BerthException(ErrorKind.NotImplemented, "time namespaces are not supported yet");
            if (!string.IsNullOrEmpty(ns.Path))
            {
                joins.Add((ns.Path, flag));
            }
            else if (flag == CLONE_NEWCGROUP)
            {
                cgroupns = true;
            }
            else
            {
                create |= flag;
            }
        }
        if ((create & CLONE_NEWNS) == 0)
            throw BerthException.Invalid("a new mount namespace is required (linux.namespaces must list \"mount\" without a path)");
        return new NamespaceSet(create, joins, cgroupns);
    }

    public static int FlagOf(string type) => type switch
    {
        "pid" => CLONE_NEWPID,
        "network" => CLONE_NEWNET,
        "mount" => CLONE_NEWNS,
        "ipc" => CLONE_NEWIPC,
        "uts" => CLONE_NEWUTS,
        "user" => CLONE_NEWUSER,
        "cgroup" => CLONE_NEWCGROUP,
        "time" => CLONE_NEWTIME,
        _ => throw BerthException.Invalid($"unknown namespace type \"{type}\""),
    };
}
