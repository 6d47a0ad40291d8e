using System.Diagnostics;
using Berth.Dockerfile.Ignore;

namespace Berth.Dockerfile.Tests.Ignore;

/// <summary>Patterns built to make a backtracking matcher explode (issue 14, defect 4: 27 <c>*a</c> segments then
/// <c>*b</c> against 30-character names ran for more than 300 s). Go's matcher is an automaton; ours must answer as
/// fast, and right.</summary>
public sealed class AdversarialPatternTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Patterns => new()
    {
        string.Concat(Enumerable.Repeat("*a", 27)) + "*b",
        "**/" + string.Concat(Enumerable.Repeat("*a", 27)) + "*b",
        string.Concat(Enumerable.Repeat("**/a", 20)) + "/b",
        string.Concat(Enumerable.Repeat("?*", 25)) + "b",
        "dir/" + string.Concat(Enumerable.Repeat("*[a-c]", 27)) + "*b",
    };

    [Theory]
    [MemberData(nameof(Patterns))]
    public async Task AdversarialPatternsMatchInBoundedTime(string pattern)
    {
        // A .dockerignore (or COPY --exclude) comes with the context: it must not be able to hang a build.
        var ignore = DockerIgnore.Parse(pattern);
        var names = new List<string>();
        for (int n = 28; n <= 60; n++)
        {
            names.Add(new string('a', n));
            names.Add(string.Join('/', Enumerable.Repeat("a", n)));
            names.Add("dir/" + new string('a', n));
        }
        var sw = Stopwatch.StartNew();
        var matched = await Task.Run(() => names.Count(ignore.Matches), TestContext.Current.CancellationToken)
            .WaitAsync(Bound, TestContext.Current.CancellationToken);
        // None of the names has a 'b': the answer must be no, and quickly.
        Assert.Equal(0, matched);
        Assert.True(sw.Elapsed < Bound, $"{sw.Elapsed} for {names.Count} names");
    }

    [Fact]
    public async Task AdversarialPatternsStillMatchWhatTheyShould()
    {
        // Fast must not mean wrong: the same pattern matches a name that has the 27 'a's and the final 'b'.
        var pattern = string.Concat(Enumerable.Repeat("*a", 27)) + "*b";
        var ignore = DockerIgnore.Parse(pattern);
        var result = await Task.Run(() => (
                Yes: ignore.Matches(new string('a', 27) + "b"),
                Spread: ignore.Matches(string.Concat(Enumerable.Repeat("xa", 27)) + "yb"),
                TooFew: ignore.Matches(new string('a', 26) + "b"),
                Slash: ignore.Matches(new string('a', 14) + "/" + new string('a', 14) + "b")),
            TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.True(result.Yes);
        Assert.True(result.Spread);
        Assert.False(result.TooFew);
        Assert.False(result.Slash);
    }
}
