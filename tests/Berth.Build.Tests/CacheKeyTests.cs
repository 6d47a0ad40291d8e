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
    [InlineData("*a*b", "xxaxxb", true)]
    [InlineData("*a*b", "xxaxxbx", false)]
    [InlineData("a*b*c", "abbbcbc", true)]
    [InlineData("*", "", true)]
    [InlineData("?", "", false)]
    [InlineData("[a-", "a", false)]
    [InlineData("*[0-9]", "ab7", true)]
    [InlineData("x\\", "x\\", true)]
    public void GlobsMatchLikeGoFilepathMatch(string pattern, string name, bool expected)
    {
        // COPY sources use Go's filepath.Match; a different matcher would copy different files than docker.
        Assert.Equal(expected, Globs.Match(pattern, name));
    }

    [Fact]
    public async Task GlobsMatchAdversarialPatternsInBoundedTime()
    {
        // A COPY source pattern comes with the Dockerfile: 27 stars against 30 characters must not take minutes
        // (issue 14, defect 4), as a matcher that tries every split for every star would.
        var pattern = string.Concat(Enumerable.Repeat("*a", 27)) + "*b";
        var result = await Task.Run(() => Enumerable.Range(28, 200).Count(n => Globs.Match(pattern, new string('a', n))),
            TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(0, result);
        Assert.True(Globs.Match(pattern, new string('a', 27) + "b"));
    }

    [Fact]
    public async Task CopyExcludePatternsMatchInBoundedTime()
    {
        // COPY --exclude shares .dockerignore's matcher, and so its bound.
        var rules = new IgnoreRules([string.Concat(Enumerable.Repeat("*a", 27)) + "*b"]);
        var result = await Task.Run(() => Enumerable.Range(28, 100).Count(n => rules.Excludes("src/" + new string('a', n), 3)),
            TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(0, result);
        Assert.True(rules.Excludes("src/" + new string('a', 27) + "b", 3));
    }
}
