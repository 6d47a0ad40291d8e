using Berth.Runtime.Security;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Tests.Security;

public sealed class SeccompTests
{
    [Fact]
    public void MinKernelConditionsFollowTheHostKernel()
    {
        // ptrace is allowed from kernel 4.8 on; on an older kernel the rule is dropped.
        var profile = SeccompProfiles.DockerDefault;
        var caps = Capabilities.DockerDefault.ToList();
        bool Allows(Version k) => SeccompProfiles.ToOci(profile, caps, "amd64", k).Syscalls!.Any(s => s.Names.Contains("ptrace"));
        Assert.True(Allows(new Version(6, 1, 0)));
        Assert.False(Allows(new Version(4, 4, 0)));
    }

    [Fact]
    public void ArchitectureConditionsSelectRules()
    {
        // arch_prctl is an amd64 rule; arm64 gets its own architectures.
        var caps = Capabilities.DockerDefault.ToList();
        var amd = SeccompProfiles.ToOci(SeccompProfiles.DockerDefault, caps, "amd64", new Version(6, 1, 0));
        var arm = SeccompProfiles.ToOci(SeccompProfiles.DockerDefault, caps, "arm64", new Version(6, 1, 0));
        Assert.Contains(amd.Syscalls!, s => s.Names.Contains("arch_prctl"));
        Assert.DoesNotContain(arm.Syscalls!, s => s.Names.Contains("arch_prctl"));
        Assert.Equal(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], arm.Architectures);
    }

    [Theory]
    [InlineData("6.18.44-fc-v669", 6, 18, 44)]
    [InlineData("4.8", 4, 8, 0)]
    [InlineData("5.10.0-21-amd64", 5, 10, 0)]
    public void KernelReleasesParse(string release, int major, int minor, int patch) =>
        // uname -r carries distribution suffixes.
        Assert.Equal(new Version(major, minor, patch), SeccompProfiles.ParseKernel(release));

    [Fact]
    public void TheFilterCompilesWithLibseccomp()
    {
        // The generated section must be something libseccomp accepts (no load here: that would confine the test).
        Berth.Testing.HostCapabilities.Require(File.Exists("/usr/lib/x86_64-linux-gnu/libseccomp.so.2") || File.Exists("/lib/x86_64-linux-gnu/libseccomp.so.2"),
            "needs libseccomp2");
        var spec = SpecGenerator.Generate("c", new Oci.ContainerConfig { Cmd = ["sh"] }, new RunOptions(), SpecHost.Detect());
        using var filter = SeccompFilter.Compile(spec.Linux!.Seccomp!);
    }
}
