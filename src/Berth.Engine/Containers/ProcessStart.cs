using System.Globalization;

namespace Berth.Engine.Containers;

/// <summary>Identifies a process by PID and start time (/proc/[pid]/stat field 22), so a recycled PID is never
/// mistaken for a container or its monitor.</summary>
internal static class ProcessStart
{
    public static ulong? Of(int pid)
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
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length) return null;
        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X") return null;
        return ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
    }

    public static bool IsAlive(int pid, ulong start) => pid > 0 && Of(pid) is { } t && t == start;
}
