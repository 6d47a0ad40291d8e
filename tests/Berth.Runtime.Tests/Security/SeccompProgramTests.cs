using Berth.Runtime.Security;
using Berth.Testing;

namespace Berth.Runtime.Tests.Security;

public sealed class SeccompProgramTests
{
    private static Berth.Runtime.Spec.LinuxSeccomp DockerDefault() =>
        SeccompProfiles.ToOci(SeccompProfiles.DockerDefault, Capabilities.DockerDefault.ToList(), "amd64", new Version(6, 1, 0));

    [Fact]
    public void AProgramIsCompiledOnceThenReadFromTheCache()
    {
        using var dir = new TempDirectory();
        var cache = Path.Combine(dir.Path, "seccomp");
        var compiled = SeccompProgram.Get(DockerDefault(), cache);
        Assert.True(compiled.Length > 0 && compiled.Length % 8 == 0);
        var entry = Assert.Single(Directory.GetFiles(cache));
        var written = File.GetLastWriteTimeUtc(entry);

        Assert.Equal(compiled, SeccompProgram.Get(DockerDefault(), cache));
        Assert.Equal(written, File.GetLastWriteTimeUtc(entry));
        // Without a cache the same program comes out of libseccomp.
        Assert.Equal(compiled, SeccompProgram.Get(DockerDefault(), null));
    }

    [Fact]
    public void AnEntryForAnotherSectionIsNotUsed()
    {
        // An entry under the right name whose key differs (a hash collision, or a tampered file) is recompiled.
        using var dir = new TempDirectory();
        var cache = Path.Combine(dir.Path, "seccomp");
        var compiled = SeccompProgram.Get(DockerDefault(), cache);
        var entry = Directory.GetFiles(cache).Single();
        var bytes = File.ReadAllBytes(entry);
        bytes[^(compiled.Length + 2)] ^= 1; // the last byte of the key
        var allowAll = new byte[8];
        File.WriteAllBytes(entry, [.. bytes.AsSpan(0, bytes.Length - compiled.Length), .. allowAll]);

        Assert.Equal(compiled, SeccompProgram.Get(DockerDefault(), cache));
    }

    [Fact]
    public void OtherSectionsGetOtherPrograms()
    {
        using var dir = new TempDirectory();
        var cache = Path.Combine(dir.Path, "seccomp");
        var strict = DockerDefault();
        var looser = strict with { DefaultAction = "SCMP_ACT_LOG" };
        Assert.NotEqual(SeccompProgram.Get(strict, cache), SeccompProgram.Get(looser, cache));
        Assert.Equal(2, Directory.GetFiles(cache).Length);
    }
}
