using Xunit;

namespace Berth.Testing;

/// <summary>What this host can do, probed once. Tests skip with a reason when a capability is missing, except
/// under CI=true, where a missing capability or tool is a failure: CI must never pass by skipping.</summary>
public static class HostCapabilities
{
    public static bool IsRoot { get; } = Environment.UserName == "root" || GetEuid() == 0;

    public static bool InCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool HasTool(string name) => FindTool(name) is not null;

    public static string? FindTool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':'))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        foreach (var dir in new[] { "/usr/sbin", "/sbin" })
            if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    /// <summary>Skips (or, under CI, fails) unless <paramref name="condition"/> holds.</summary>
    public static void Require(bool condition, string reason)
    {
        if (condition) return;
        if (InCi) Assert.Fail($"CI=true and this test cannot run: {reason}");
        Assert.Skip(reason);
    }

    public static void RequireRoot() => Require(IsRoot, "needs root");

    public static void RequireTool(string tool) => Require(HasTool(tool), $"needs {tool} (apt-get install it; `make deps` does)");

    private static uint GetEuid()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
        }
        catch (IOException) { }
        return uint.MaxValue;
    }
}
