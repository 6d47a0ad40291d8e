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

    [Fact]
    public void SkipAnswerAgreesWithMatchesForEveryDescendant()
    {
        // The fast answer must never contradict the slow one: if a directory is skippable, everything below matches.
        string[] files = ["a/b/c", "a/b/keep", "a/x/keep", "src/main/x.cs", "src/y", "docs/z", "node_modules/p/keep", "node_modules/q"];
        string[] ignoreFiles =
        [
            "a\n!a/*/keep", "*\n!src/main", "node_modules\n!**/keep", "**\n!src", "docs\nsrc\n!src/y", "a/b", "*/b\n!a/b/keep",
        ];
        foreach (var text in ignoreFiles)
        {
            var ignore = DockerIgnore.Parse(text);
            foreach (var file in files)
            {
                var parts = file.Split('/');
                for (var depth = 1; depth < parts.Length; depth++)
                {
                    var dir = string.Join('/', parts.Take(depth));
                    if (ignore.CanSkipDirectory(dir))
                    {
                        Assert.True(ignore.Matches(file), $"{text.Replace('\n', ' ')}: skipped {dir} but {file} is not ignored");
                    }
                }
            }
        }
    }
}
