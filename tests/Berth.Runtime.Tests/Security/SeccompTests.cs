using Berth.Runtime.Security;
using Berth.Runtime.Spec;
using Berth.Interop;

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
    public void TheFilterCompilesWithLibseccompToAProgramThatDeniesWhatTheProfileDenies()
    {
        // The generated section must be something libseccomp accepts, and what it compiles must answer as Docker's
        // profile does. No load here (that would confine the test): the exported BPF program is run as the kernel
        // would, on seccomp_data.
        Berth.Testing.HostCapabilities.Require(File.Exists("/usr/lib/x86_64-linux-gnu/libseccomp.so.2") || File.Exists("/lib/x86_64-linux-gnu/libseccomp.so.2"),
            "needs libseccomp2");
        Berth.Testing.HostCapabilities.Require(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64, "x86_64 syscall numbers");
        var spec = SpecGenerator.Generate("c", new Oci.ContainerConfig { Cmd = ["sh"] }, new RunOptions(), SpecHost.Detect());
        using var filter = SeccompFilter.Compile(spec.Linux!.Seccomp!);
        using var memfd = new SafeFdHandle(Errno.CheckIo(
            Runtime.Interop.Interop.memfd_create("seccomp-test", Runtime.Interop.Interop.MFD_CLOEXEC), "memfd_create"));
        filter.Export(memfd);
        var program = Runtime.Interop.Interop.ReadWhole(memfd, 4096 * 8 + 1, "seccomp program");

        // Whole instructions, more than a handful (300-odd rules) and within BPF_MAXINSNS.
        Assert.Equal(0, program.Length % 8);
        Assert.InRange(program.Length / 8, 100, 4096);
        const uint X86_64 = 0xC000003E, Aarch64 = 0xC00000B7, Allow = 0x7fff0000, Eperm = 0x00050000 | 1, KillThread = 0;
        Assert.Equal(Allow, ClassicBpf.Run(program, 0, X86_64));         // read
        Assert.Equal(Allow, ClassicBpf.Run(program, 59, X86_64));        // execve
        Assert.Equal(Eperm, ClassicBpf.Run(program, 246, X86_64));       // kexec_load: not in the allow list
        Assert.Equal(Eperm, ClassicBpf.Run(program, 165, X86_64));       // mount: only with CAP_SYS_ADMIN
        Assert.Equal(Eperm, ClassicBpf.Run(program, 1000, X86_64));      // no ENOSYS stub here: the default action
        Assert.Equal(KillThread, ClassicBpf.Run(program, 0, Aarch64));   // an architecture the filter was not built for
    }
}
