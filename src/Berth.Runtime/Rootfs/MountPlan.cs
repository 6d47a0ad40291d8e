namespace Berth.Runtime.Rootfs;

/// <summary>Everything the container init does to build the container's filesystem view, as data: computed from
/// the spec by <see cref="MountPlanner"/> (testable without root), executed in order by <see cref="MountPlanApplier"/>
/// inside the new mount namespace. Paths before <see cref="PivotRoot"/> are container paths resolved inside the
/// rootfs; after it they are resolved inside the new "/".</summary>
public sealed record MountPlan(IReadOnlyList<MountStep> Steps);

public abstract record MountStep;

/// <summary>Changes the propagation of every mount in the namespace (rslave by default) so nothing mounted in the
/// container reaches the host, and pivot_root is not refused for a shared parent.</summary>
public sealed record SetRootPropagation(ulong Flags) : MountStep;

/// <summary>Makes the rootfs a mount point: a recursive bind of the directory onto itself, or the given root mount
/// (an overlay of the image's snapshots) mounted there.</summary>
public sealed record PrepareRoot(string RootfsPath, Spec.Mount? RootMount) : MountStep;

/// <summary>One spec mount onto a destination resolved inside the root (created as a directory, or as a file when
/// a bind's source is a file).</summary>
public sealed record MountFilesystem(string Destination, string Type, string Source, MountOptions Options) : MountStep;

/// <summary>/sys/fs/cgroup: the host's hierarchies, seen from the container's cgroup namespace.</summary>
public sealed record MountCgroups(string Destination, MountOptions Options) : MountStep;

public sealed record CreateDevice(string Path, char Type, long Major, long Minor, uint Mode, uint Uid, uint Gid) : MountStep;

public sealed record CreateSymlink(string Target, string Path) : MountStep;

/// <summary>Allocates the container's pty from its own devpts and binds the peer over /dev/console.</summary>
public sealed record SetupConsole(ushort Rows, ushort Columns) : MountStep;

/// <summary>pivot_root into the rootfs, then detach the old root.</summary>
public sealed record PivotRoot : MountStep;

public sealed record WriteSysctl(string Key, string Value) : MountStep;

/// <summary>Binds /dev/null over a file, or an empty read-only tmpfs over a directory (runc maskPaths).</summary>
public sealed record MaskPath(string Path) : MountStep;

/// <summary>Binds a path onto itself and remounts it read-only, keeping nosuid/nodev/noexec.</summary>
public sealed record ReadonlyPath(string Path) : MountStep;

public sealed record RemountRootReadonly : MountStep;
