using Berth.Build.Cache;

namespace Berth.Build.Tests;

public sealed class CacheKeyTests
{
    [Fact]
    public void FieldBoundariesCannotBeShiftedToForgeAKey()
    {
        // Length-prefixed fields: ("ab","c") and ("a","bc") must never hash alike, or two steps could share a layer.
        Assert.NotEqual(CacheKey.Of("d", ("ab", "c")), CacheKey.Of("d", ("a", "bc")));
        Assert.NotEqual(CacheKey.Of("copy", ("x", "1")), CacheKey.Of("run", ("x", "1")));
        Assert.Equal(CacheKey.Of("d", ("a", "b")), CacheKey.Of("d", ("a", "b")));
    }

    [Theory]
    [InlineData("*.txt", "a.txt", true)]
    [InlineData("*.txt", "a.txt.bak", false)]
    [InlineData("f?.cs", "f1.cs", true)]
    [InlineData("[a-c]*", "beta", true)]
    [InlineData("[^a-c]*", "beta", false)]
    [InlineData("\\*", "*", true)]
    public void GlobsMatchLikeGoFilepathMatch(string pattern, string name, bool expected)
    {
        // COPY sources use Go's filepath.Match; a different matcher would copy different files than docker.
        Assert.Equal(expected, Globs.Match(pattern, name));
    }
}
