using Berth.Testing;

namespace Berth.Dockerfile.Tests.Parser;

/// <summary>The test net's own rules: CI cannot pass by skipping or by rewriting what it compares with.</summary>
public sealed class GoldenTests
{
    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("woodpecker", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void AnyNonEmptyCiValueButFalseOrZeroIsCi(string? value, bool isCi) =>
        // CI services spell it differently; only an explicit "false" or "0" turns it off.
        Assert.Equal(isCi, HostCapabilities.IsCiValue(value));

    [Fact]
    public void UpdateModeIsRefusedUnderCiEvenWhenNothingDiffers()
    {
        // A rewrite under CI would turn a failing comparison into a pass: the run fails, and the file stays.
        using var dir = new TempDirectory();
        var file = dir.Combine("result");
        File.WriteAllText(file, "same\n");
        var e = Assert.ThrowsAny<Exception>(() => new Golden(updateRequested: true, isCi: true, dir.Sub("conformance")).AssertMatches(file, "other\n"));
        Assert.Contains("refused under CI", e.Message);
        Assert.Throws<Xunit.Sdk.FailException>(() => new Golden(updateRequested: true, isCi: true, dir.Sub("conformance")).AssertMatches(file, "same\n"));
        Assert.Equal("same\n", File.ReadAllText(file));
    }

    [Fact]
    public void VendoredConformanceDataIsNeverRewritten()
    {
        // tests/conformance stays byte-identical to its upstream: a difference is berth's bug or a re-vendoring.
        using var dir = new TempDirectory();
        var vendored = dir.Sub("conformance");
        var file = Path.Combine(vendored, "suite", "result");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "upstream\n");
        var e = Assert.Throws<Xunit.Sdk.FailException>(() => new Golden(updateRequested: true, isCi: false, vendored).AssertMatches(file, "ours\n"));
        Assert.Contains("never rewritten", e.Message);
        Assert.Equal("upstream\n", File.ReadAllText(file));
        new Golden(updateRequested: true, isCi: false, vendored).AssertMatches(file, "upstream\n");
    }

    [Fact]
    public void UpdateModeRewritesOwnGoldenFilesOutsideCiAndCompareModeOnlyCompares()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("own");
        File.WriteAllText(file, "old\n");
        Assert.ThrowsAny<Exception>(() => new Golden(updateRequested: false, isCi: false, dir.Sub("conformance")).AssertMatches(file, "new\n"));
        Assert.Equal("old\n", File.ReadAllText(file));
        new Golden(updateRequested: true, isCi: false, dir.Sub("conformance")).AssertMatches(file, "new\n");
        Assert.Equal("new\n", File.ReadAllText(file));
    }
}
