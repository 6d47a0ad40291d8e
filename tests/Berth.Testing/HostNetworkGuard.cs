using System.Runtime.CompilerServices;

namespace Berth.Testing;

/// <summary>Keeps the machine's own network untouched by the test suites: berth's default network is docker's
/// <c>bridge</c>, which makes a bridge, veths and nftables rules in the namespace berth runs in. Every berth a test
/// process starts inherits <c>BERTH_DEFAULT_NETWORK=none</c> from here, so only the network tests, which run berth
/// inside network namespaces of their own (<see cref="NetworkSandbox"/>), ever get a bridge.</summary>
internal static class HostNetworkGuard
{
#pragma warning disable CA2255 // Runs once per test process, before any test can start berth.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void NoBridgeInTheHostNamespace()
    {
        if (Environment.GetEnvironmentVariable("BERTH_DEFAULT_NETWORK") is null or "") Environment.SetEnvironmentVariable("BERTH_DEFAULT_NETWORK", "none");
    }
}
