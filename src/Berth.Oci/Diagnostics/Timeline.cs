using System.Diagnostics;

namespace Berth.Oci.Diagnostics;

/// <summary>Start-up timeline for measuring the hot path across berth's processes (CLI, init, monitor): with
/// <c>BERTH_TIMELINE=1</c> each <see cref="Mark"/> writes "timeline PID MONOTONIC-MS label" to stderr, so the marks of
/// several processes sort into one timeline. Off, a mark costs one static field read.</summary>
public static class Timeline
{
    public const string Variable = "BERTH_TIMELINE";
    public static readonly bool Enabled = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 };

    public static void Mark(string label)
    {
        if (!Enabled) return;
        var ms = Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        Console.Error.WriteLine($"timeline {Environment.ProcessId} {ms:F3} {label}");
    }
}
