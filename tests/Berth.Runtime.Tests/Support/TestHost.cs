using Berth.Runtime.Spec;

namespace Berth.Runtime.Tests.Support;

/// <summary>Fixed host facts, so generated specs do not depend on the machine the tests run on.</summary>
internal static class TestHost
{
    public static SpecHost Amd64 { get; } = new()
    {
        GoArch = "amd64",
        Kernel = new Version(6, 1, 0),
        ThermalThrottlePaths = ["/sys/devices/system/cpu/cpu0/thermal_throttle"],
    };

    public static RuntimeSpec Generate(RunOptions? options = null, Oci.ContainerConfig? image = null, UserDatabase? users = null) =>
        SpecGenerator.Generate("0123456789abcdef", image ?? new Oci.ContainerConfig { Cmd = ["sh"] }, options ?? new RunOptions(), Amd64, users);
}
