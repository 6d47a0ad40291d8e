using Berth.Archive.Tests.Support;
using Berth.Testing;

namespace Berth.Archive.Tests;

/// <summary>Our tars against an independent implementation, GNU tar, in both directions.</summary>
public abstract class GnuTarCompatibilityTests : ApplierSuite
{
    [Fact]
    public void GnuTarExtractsOurLayersFaithfully()
    {
        // Docker and every registry client read layers with other tar code than ours.
        Requires.Root("owners and xattrs");
        HostCapabilities.RequireTool("tar");
        using TempDirectory temp = new();
        string src = temp.Sub("src"), dst = temp.Sub("dst");
        RoundTripTests.BuildTree(src, withOwners: true);
        string file = temp.Combine("layer.tar");
        File.WriteAllBytes(file, Tars.Write(src));

        RunResult r = Run.Tool("tar", ["--xattrs", "--xattrs-include=*", "--same-owner", "-xpf", file, "-C", dst]);
        Assert.True(r.ExitCode == 0, r.ToString());
        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(src), TreeSnapshot.Capture(dst));
    }

    [Theory]
    [InlineData("gnu")]
    [InlineData("posix")]
    [InlineData("ustar")]
    public void WeApplyGnuTarArchives(string format)
    {
        // Layers made by other tools (GNU tar in a CI script, `docker export`) come in GNU and PAX flavours.
        Requires.Root("owners and xattrs");
        HostCapabilities.RequireTool("tar");
        using TempDirectory temp = new();
        string src = temp.Sub("src"), dst = temp.Sub("dst");
        RoundTripTests.BuildTree(src, withOwners: true);
        if (format == "ustar")
        {
            // ustar cannot hold the long names and xattrs: keep to what it can.
            Directory.Delete(Path.Combine(src, "long"), recursive: true);
            File.Delete(Path.Combine(src, "long-target"));
        }

        string file = temp.Combine("layer.tar");
        List<string> args = ["--format=" + format, "-cpf", file, "-C", src];
        if (format == "posix") args.InsertRange(0, ["--xattrs", "--xattrs-include=*"]);
        args.Add(".");
        RunResult r = Run.Tool("tar", args);
        Assert.True(r.ExitCode == 0, r.ToString());

        using (FileStream stream = File.OpenRead(file))
        {
            LayerApplier.Apply(stream, dst, With(), TestContext.Current.CancellationToken);
        }

        Func<string, bool> skip = format == "posix" ? static k => k == "security.selinux" : static _ => true;
        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(src, skipXattr: skip), TreeSnapshot.Capture(dst, skipXattr: skip));
    }
}

public sealed class SequentialGnuTarCompatibilityTests : GnuTarCompatibilityTests
{
    protected override int Parallelism => 1;
}

public sealed class ParallelGnuTarCompatibilityTests : GnuTarCompatibilityTests
{
    protected override int Parallelism => ApplyOptions.Default.Parallelism;
}
