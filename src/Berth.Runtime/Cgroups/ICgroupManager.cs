using Berth.Runtime.Spec;

namespace Berth.Runtime.Cgroups;

/// <summary>One container's cgroup, on whichever hierarchy the host has. Lifecycle: <see cref="Create"/> the
/// directories, <see cref="Apply"/> the limits, put the init inside before it execs (so every process of the
/// container is born inside: <see cref="ThreadFiles"/> at its birth, then <see cref="AddProcess"/>), read <see cref="OomKillCount"/> after it exits, <see cref="Destroy"/> on delete.</summary>
public interface ICgroupManager
{
    /// <summary>"v2" or "v1".</summary>
    string Kind { get; }

    /// <summary>Hierarchy name → directory: persisted in the container state so another process can destroy it.</summary>
    IReadOnlyDictionary<string, string> Paths { get; }

    /// <summary>Directories this manager made (ancestors included), removed again by <see cref="Destroy"/> when empty.</summary>
    IReadOnlyList<string> Created { get; }

    void Create();

    void Apply(LinuxResources? resources);

    /// <summary>Files the thread that spawns the init writes "0" to just before the spawn, moving only itself, so the
    /// init is born inside (cgroup v1's <c>tasks</c>). Moving the calling thread takes no process-wide lock; writing a
    /// PID to <c>cgroup.procs</c> takes the kernel's cgroup_threadgroup_rwsem for writing and waits an RCU grace
    /// period (8 ms on this kind of machine).</summary>
    IReadOnlyList<string> ThreadFiles { get; }

    /// <summary>Puts a process spawned by a thread that wrote <see cref="ThreadFiles"/> into the hierarchies those do
    /// not cover (cgroup v2, where a thread cannot leave its process's cgroup): one <c>cgroup.procs</c> write each.</summary>
    void AddProcess(int pid);

    IReadOnlyList<int> Processes();

    /// <summary>How many processes the kernel's OOM killer killed in this cgroup.</summary>
    long OomKillCount();

    /// <summary>Kills what is left inside and removes the directories.</summary>
    void Destroy();
}
