using Xunit;

namespace Berth.Testing;

/// <summary>What this host lets tests do, probed once. Tests skip with a reason when a capability is missing,
/// except under CI, where the capabilities berth's CI promises must be there.</summary>
public static class HostCapabilities
{
    public static bool IsRoot { get; } = Environment.IsPrivilegedProcess;

    /// <summary>True when running in CI: the CI environment variable is set, as every CI service sets it (GitHub and
    /// GitLab to "true", others to "1", "yes" or a name).</summary>
    public static bool IsCi { get; } = IsCiValue(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Whether a value of the CI variable means CI: any non-empty value but an explicit "false" or "0"
    /// (a developer turning it off), so that no spelling lets CI pass by skipping.</summary>
    public static bool IsCiValue(string? value) =>
        !string.IsNullOrWhiteSpace(value) && !value.Trim().Equals("false", StringComparison.OrdinalIgnoreCase) && value.Trim() != "0";

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
        if (IsCi) Assert.Fail($"CI is set and this test cannot run: {reason}");
        Assert.Skip(reason);
    }

    public static void RequireRoot() => Require(IsRoot, "needs root");

    public static void RequireTool(string tool) => Require(HasTool(tool), $"needs {tool} (`make deps` installs it)");
}
