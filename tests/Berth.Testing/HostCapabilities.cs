using Xunit;

namespace Berth.Testing;

/// <summary>What this host lets tests do, probed once. Tests skip with a reason when a capability is missing,
/// except under CI (CI=true), where the capabilities berth's CI promises must be there.</summary>
public static class HostCapabilities
{
    public static bool IsRoot { get; } = Environment.IsPrivilegedProcess;

    /// <summary>True when running in CI (the CI environment variable is "true").</summary>
    public static bool IsCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Same as <see cref="IsCi"/>.</summary>
    public static bool InCi => IsCi;

    public static bool HasTool(string name) => FindTool(name) is not null;

    public static string? FindTool(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':').Concat(["/usr/sbin", "/sbin"]);
        foreach (var dir in dirs)
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Skips (or, under CI, fails) unless <paramref name="condition"/> holds: CI never passes by skipping.</summary>
    public static void Require(bool condition, string reason)
    {
        if (condition) return;
        if (IsCi) Assert.Fail($"CI=true and this test cannot run: {reason}");
        Assert.Skip(reason);
    }

    public static void RequireRoot() => Require(IsRoot, "needs root");

    public static void RequireTool(string tool) => Require(HasTool(tool), $"needs {tool} (`make deps` installs it)");
}
