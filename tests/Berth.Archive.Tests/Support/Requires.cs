using Berth.Testing;

namespace Berth.Archive.Tests.Support;

internal static class Requires
{
    /// <summary>Skips without root, except in CI (CI=true), which runs as root: there a missing root fails.</summary>
    public static void Root(string why)
    {
        if (HostCapabilities.IsRoot) return;
        if (HostCapabilities.IsCi) Assert.Fail($"CI must run as root: {why}");
        Assert.Skip($"needs root: {why}");
    }
}
