using Berth.Runtime.Spec;

namespace Berth.Runtime.Cgroups;

/// <summary>One container's cgroup, on whichever hierarchy the host has. Lifecycle: <see cref="Create"/> the
/// directories, <see cref="Apply"/> the limits, <see cref="AddProcess"/> the init (before it execs, so every process
/// of the container is born inside), read <see cref="OomKillCount"/> after it exits, <see cref="Destroy"/> on delete.</summary>
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

    void AddProcess(int pid);

    IReadOnlyList<int> Processes();

    /// <summary>How many processes the kernel's OOM killer killed in this cgroup.</summary>
    long OomKillCount();

    /// <summary>Kills what is left inside and removes the directories.</summary>
    void Destroy();
}
