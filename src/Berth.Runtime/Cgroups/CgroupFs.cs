using System.Globalization;
using Berth.Oci.Errors;

namespace Berth.Runtime.Cgroups;

/// <summary>File operations shared by the v1 and v2 managers. Plain paths are right here: cgroupfs is the host's,
/// and container processes cannot change it (it is mounted read-only in their namespace).</summary>
internal static class CgroupFs
{
    public static void Write(string dir, string file, string value)
    {
        var path = Path.Combine(dir, file);
        try
        {
            File.WriteAllText(path, value);
        }
        catch (IOException e)
        {
            throw new BerthException(ErrorKind.InvalidArgument, $"cgroup: write {value} to {path}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BerthException(ErrorKind.PermissionDenied, $"cgroup: write {value} to {path}: {e.Message}", e);
        }
    }

    public static string? TryRead(string dir, string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(dir, file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>mkdir -p, recording which levels did not exist. A concurrent delete may remove a shared parent between
    /// our steps (ENOENT), so the walk is retried.</summary>
    public static void MakeAll(string mountPoint, string dir, List<string> created)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var current = mountPoint.TrimEnd('/');
                foreach (var part in dir[current.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
                {
                    current += "/" + part;
                    if (Directory.Exists(current)) continue;
                    try
                    {
                        Directory.CreateDirectory(current);
                        created.Add(current);
                    }
                    catch (IOException) when (Directory.Exists(current))
                    {
                    }
                }
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 5)
            {
            }
        }
    }

    public static IReadOnlyList<int> Pids(string dir)
    {
        var text = TryRead(dir, "cgroup.procs");
        if (text is null) return [];
        var list = new List<int>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) list.Add(pid);
        return list;
    }

    /// <summary>Reads "key value" lines (memory.events, memory.oom_control) and returns the value of one key.</summary>
    public static long KeyedValue(string? text, string key)
    {
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) return v;
        }
        return 0;
    }

    /// <summary>Removes the cgroups, killing what is still inside (usually nothing: the init is gone and its PID
    /// namespace with it), then their now-empty created ancestors.</summary>
    public static void Remove(IEnumerable<string> dirs, IReadOnlyList<string> created, Action<string>? kill)
    {
        foreach (var dir in dirs)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                try
                {
                    Directory.Delete(dir);
                    break;
                }
                catch (DirectoryNotFoundException)
                {
                    break;
                }
                catch (IOException) when (attempt < 199)
                {
                    // EBUSY: processes inside, or the last ones still exiting.
                    kill?.Invoke(dir);
                    if (attempt > 0) Thread.Sleep(10);
                }
            }
        }
        for (var i = created.Count - 1; i >= 0; i--)
        {
            try
            {
                if (Directory.Exists(created[i]) && !Directory.EnumerateDirectories(created[i]).Any()) Directory.Delete(created[i]);
            }
            catch (IOException)
            {
                // Another container's cgroup appeared under it: it is still in use.
            }
        }
    }

    public static void KillAll(string dir)
    {
        foreach (var pid in Pids(dir)) Interop.Interop.kill(pid, Interop.Interop.SIGKILL);
    }
}
