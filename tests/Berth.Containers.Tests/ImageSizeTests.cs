using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary><c>images</c> and <c>system df</c> agree on an image's size, as docker's do (issue 13).</summary>
[Collection("containers")]
public sealed class ImageSizeTests(BusyboxFixture image)
{
    [Fact]
    public void ImagesAndSystemDfAgreeOnImageSize()
    {
        // docker's image Size is the sum of its layers' unpacked content; system df sums the same layer sizes.
        using var s = new ContainerStore(image);
        var listed = s.Ok("images", "--format", "{{.Size}}").Trim();
        var df = s.Ok("system", "df", "--format", "{{.Type}}={{.Size}}").Split('\n').Single(l => l.StartsWith("Images="));
        Assert.Equal("Images=" + listed, df);
        var verbose = s.Ok("system", "df", "-v").Split('\n').Single(l => l.StartsWith("busybox "));
        Assert.Equal(listed, System.Text.RegularExpressions.Regex.Split(verbose, "  +")[4]);
    }
}
