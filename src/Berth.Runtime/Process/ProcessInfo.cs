using System.Globalization;

namespace Berth.Runtime.Process;

/// <summary>Reads /proc/[pid]/stat: whether a PID is alive and which process it is (its start time).</summary>
public static class ProcessInfo
{
    /// <summary>The start time of a live (not zombie) process, or null.</summary>
    public static ulong? StartTime(int pid)
    {
        if (pid <= 0) return null;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length) return null;
        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X") return null;
        return ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
    }

    public static bool IsAlive(int pid, ulong startTime) => pid > 0 && StartTime(pid) is { } t && t == startTime;
}
