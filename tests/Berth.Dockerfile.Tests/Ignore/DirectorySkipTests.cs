using Berth.Dockerfile.Ignore;

namespace Berth.Dockerfile.Tests.Ignore;

public sealed class DirectorySkipTests
{
    [Theory]
    [InlineData("node_modules", "node_modules", true)]
    [InlineData("node_modules", "src", false)]
    [InlineData("node_modules\n!node_modules/keep", "node_modules", false)]
    [InlineData("node_modules\n!node_modules/*/keep", "node_modules", false)]
    [InlineData("node_modules\n!other/keep", "node_modules", true)]
    [InlineData("node_modules\n!**/keep", "node_modules", false)]
    [InlineData("build\n!build", "build", false)]
    [InlineData("*\n!src", "docs", true)]
    [InlineData("*\n!src/main", "src", false)]
    [InlineData("*\n!s*/main", "src", false)]
    [InlineData("*\n!t*/main", "src", true)]
    [InlineData("a/b\n!a/c/d", "a/b", true)]
    [InlineData("a\n![x/]y", "a", false)]
    public void SkipOnlyWhenNoExclusionCanReachBelow(string ignoreText, string dir, bool canSkip)
    {
        // Skipping a directory that a "!" pattern re-includes would silently drop files from the context.
        Assert.Equal(canSkip, DockerIgnore.Parse(ignoreText).CanSkipDirectory(dir));
    }

    [Theory]
    [InlineData("a\n!a/*/keep", "")]
    [InlineData("*\n!src/main", "a a/b a/x docs node_modules node_modules/p")]
    [InlineData("node_modules\n!**/keep", "")]
    [InlineData("**\n!src", "a a/b a/x docs node_modules node_modules/p")]
    [InlineData("docs\nsrc\n!src/y", "docs src/main")]
    [InlineData("a/b", "a/b")]
    [InlineData("*/b\n!a/b/keep", "")]
    public void SkipAnswerAgreesWithMatchesForEveryDescendant(string ignoreText, string skippable)
    {
        // The fast answer must never contradict the slow one: if a directory is skippable, everything below matches.
        // And the fast answer is given where it can be: each case names the directories it must skip.
        string[] files = ["a/b/c", "a/b/keep", "a/x/keep", "src/main/x.cs", "src/y", "docs/z", "node_modules/p/keep", "node_modules/q"];
        var ignore = DockerIgnore.Parse(ignoreText);
        SortedSet<string> skipped = new(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var parts = file.Split('/');
            for (var depth = 1; depth < parts.Length; depth++)
            {
                var dir = string.Join('/', parts.Take(depth));
                if (!ignore.CanSkipDirectory(dir)) continue;
                skipped.Add(dir);
                Assert.True(ignore.Matches(file), $"{ignoreText.Replace('\n', ' ')}: skipped {dir} but {file} is not ignored");
            }
        }

        Assert.Equal(skippable.Split(' ', StringSplitOptions.RemoveEmptyEntries), skipped);
    }
}
