using Berth.Dockerfile.Ignore;

namespace Berth.Dockerfile.Tests.Ignore;

/// <summary>
/// Every fact in tests/conformance/dockerignore/BEHAVIOURS.md (moby/patternmatcher's tests restated), one row per
/// fact. Section numbers follow that file. Patterns are written as the characters the matcher receives.
/// </summary>
public sealed class DockerIgnoreBehaviourTests
{
    [Fact]
    public void Section1ReadAllCleansPatternsAndDropsComments()
    {
        // The reader decides what a line means before any matching happens.
        const string text = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
        Assert.Equal(["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"], DockerIgnore.ReadPatterns(text));
        Assert.Empty(DockerIgnore.ReadPatterns(null));
    }

    [Theory]
    [InlineData("\uFEFFa\n", "a")]
    [InlineData("  # x", "# x")]
    [InlineData("a//b", "a/b")]
    [InlineData("a/./b", "a/b")]
    [InlineData("a/x/../b", "a/b")]
    [InlineData("docs/", "docs")]
    [InlineData("a\r\n", "a")]
    public void Section1ReadAllLineRules(string text, string pattern)
    {
        // BOM, comment-before-trim, and filepath.Clean rules.
        Assert.Equal([pattern], DockerIgnore.ReadPatterns(text));
    }

    [Fact]
    public void Section2MatcherConstruction()
    {
        // Empty patterns vanish, exclusions are found after trimming, and bad syntax fails early.
        Assert.Equal(2, PatternMatcher.Create(["docs", "config"]).Patterns.Count);
        Assert.Equal(2, PatternMatcher.Create(["docs", "config", ""]).Patterns.Count);
        Assert.True(PatternMatcher.Create(["docs", "!docs/README.md"]).HasExclusions);
        Assert.True(PatternMatcher.Create(["docs", "  !docs/README.md"]).HasExclusions);
        Assert.True(PatternMatcher.Create(["docs", "!docs/README.md  "]).HasExclusions);
        var bang = Assert.Throws<InvalidIgnorePatternException>(() => PatternMatcher.Create(["!"]));
        Assert.Contains("illegal exclusion pattern: \"!\"", bang.Message);
        Assert.Throws<InvalidIgnorePatternException>(() => PatternMatcher.Create(["["]));
        Assert.Throws<InvalidIgnorePatternException>(() => DockerIgnore.Parse("["));
    }

    [Fact]
    public void Section2ReversedRangeFailsAtMatchTimeEveryTime()
    {
        // [Local-Only] looks valid but its l-O range is reversed: the error must repeat, never turn into "no match".
        var m = PatternMatcher.Create(["[Local-Only]/"]);
        Assert.Throws<InvalidIgnorePatternException>(() => m.MatchesOrParentMatches("x"));
        Assert.Throws<InvalidIgnorePatternException>(() => m.MatchesOrParentMatches("x"));
    }

    [Theory]
    [InlineData("**", "file", true)]
    [InlineData("**", "file/", true)]
    [InlineData("**/", "file", true)]
    [InlineData("**/", "file/", true)]
    [InlineData("**", "/", true)]
    [InlineData("**/", "/", true)]
    [InlineData("**", "dir/file", true)]
    [InlineData("**/", "dir/file", true)]
    [InlineData("**", "dir/file/", true)]
    [InlineData("**/", "dir/file/", true)]
    [InlineData("**/**", "dir/file", true)]
    [InlineData("**/**", "dir/file/", true)]
    [InlineData("dir/**", "dir/file", true)]
    [InlineData("dir/**", "dir/file/", true)]
    [InlineData("dir/**", "dir/dir2/file", true)]
    [InlineData("dir/**", "dir/dir2/file/", true)]
    [InlineData("**/dir", "dir", true)]
    [InlineData("**/dir", "dir/file", true)]
    [InlineData("**/dir2/*", "dir/dir2/file", true)]
    [InlineData("**/dir2/*", "dir/dir2/file/", true)]
    [InlineData("**/dir2/**", "dir/dir2/dir3/file", true)]
    [InlineData("**/dir2/**", "dir/dir2/dir3/file/", true)]
    [InlineData("**file", "file", true)]
    [InlineData("**file", "dir/file", true)]
    [InlineData("**/file", "dir/file", true)]
    [InlineData("**file", "dir/dir/file", true)]
    [InlineData("**/file", "dir/dir/file", true)]
    [InlineData("**/file*", "dir/dir/file", true)]
    [InlineData("**/file*", "dir/dir/file.txt", true)]
    [InlineData("**/file*txt", "dir/dir/file.txt", true)]
    [InlineData("**/file*.txt", "dir/dir/file.txt", true)]
    [InlineData("**/file*.txt*", "dir/dir/file.txt", true)]
    [InlineData("**/**/*.txt", "dir/dir/file.txt", true)]
    [InlineData("**/**/*.txt2", "dir/dir/file.txt", false)]
    [InlineData("**/*.txt", "file.txt", true)]
    [InlineData("**/**/*.txt", "file.txt", true)]
    [InlineData("a**/*.txt", "a/file.txt", true)]
    [InlineData("a**/*.txt", "a/dir/file.txt", true)]
    [InlineData("a**/*.txt", "a/dir/dir/file.txt", true)]
    [InlineData("a/*.txt", "a/dir/file.txt", false)]
    [InlineData("a/*.txt", "a/file.txt", true)]
    [InlineData("a/*.txt**", "a/file.txt", true)]
    [InlineData("a[b-d]e", "ae", false)]
    [InlineData("a[b-d]e", "ace", true)]
    [InlineData("a[b-d]e", "aae", false)]
    [InlineData("a[^b-d]e", "aze", true)]
    [InlineData(".*", ".foo", true)]
    [InlineData(".*", "foo", false)]
    [InlineData("abc.def", "abcdef", false)]
    [InlineData("abc.def", "abc.def", true)]
    [InlineData("abc.def", "abcZdef", false)]
    [InlineData("abc?def", "abcZdef", true)]
    [InlineData("abc?def", "abcdef", false)]
    [InlineData("a\\\\", "a\\", true)]
    [InlineData("**/foo/bar", "foo/bar", true)]
    [InlineData("**/foo/bar", "dir/foo/bar", true)]
    [InlineData("**/foo/bar", "dir/dir2/foo/bar", true)]
    [InlineData("abc/**", "abc", false)]
    [InlineData("abc/**", "abc/def", true)]
    [InlineData("abc/**", "abc/def/ghi", true)]
    [InlineData("**/.foo", ".foo", true)]
    [InlineData("**/.foo", "bar.foo", false)]
    [InlineData("a(b)c/def", "a(b)c/def", true)]
    [InlineData("a(b)c/def", "a(b)c/xyz", false)]
    [InlineData("a.|)$(}+{bc", "a.|)$(}+{bc", true)]
    [InlineData("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true)]
    [InlineData("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true)]
    [InlineData("a\\*b", "a*b", true)]
    public void Section3SinglePatternMatchesPathOrParent(string pattern, string path, bool expected)
    {
        // The single-pattern semantics of **, *, ?, classes and escapes decide what reaches the build.
        Assert.Equal(expected, PatternMatcher.Create([pattern]).MatchesOrParentMatches(path));
    }

    [Theory]
    [InlineData(new[] { "**", "!util/docker/web" }, "util/docker/web/foo", false)]
    [InlineData(new[] { "**", "!util/docker/web", "util/docker/web/foo" }, "util/docker/web/foo", true)]
    [InlineData(new[] { "**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl" }, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false)]
    [InlineData(new[] { "**", "!dist/*.whl" }, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false)]
    [InlineData(new[] { "*" }, "fileutils.go", true)]
    [InlineData(new[] { "*.go" }, "fileutils.go", true)]
    [InlineData(new[] { "!fileutils.go", "*.go" }, "fileutils.go", true)]
    [InlineData(new[] { "*.go", "!fileutils.go" }, "fileutils.go", false)]
    [InlineData(new[] { "docs", "!docs/README.md" }, "docs/README.md", false)]
    [InlineData(new[] { "docs/", "!docs/README.md" }, "docs/README.md", false)]
    [InlineData(new[] { "docs/*", "!docs/README.md" }, "docs/README.md", false)]
    [InlineData(new[] { "*.go" }, ".", false)]
    [InlineData(new string[0], "/any/path/there", false)]
    public void Section4LastMatchingPatternWins(string[] patterns, string path, bool expected)
    {
        // Order and "!" re-inclusion follow Docker exactly, so the same files reach the build.
        Assert.Equal(expected, DockerIgnore.Parse(string.Join('\n', patterns)).Matches(path));
    }

    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("*", "abc", true)]
    [InlineData("*c", "abc", true)]
    [InlineData("a*", "a", true)]
    [InlineData("a*", "abc", true)]
    [InlineData("a*", "ab/c", true)]
    [InlineData("a*/b", "abc/b", true)]
    [InlineData("a*/b", "a/c/b", false)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxe/f", true)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxexxx/f", true)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzx", true)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzy", false)]
    [InlineData("ab[c]", "abc", true)]
    [InlineData("ab[b-d]", "abc", true)]
    [InlineData("ab[e-g]", "abc", false)]
    [InlineData("ab[^c]", "abc", false)]
    [InlineData("ab[^b-d]", "abc", false)]
    [InlineData("ab[^e-g]", "abc", true)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "ab", false)]
    [InlineData("a?b", "a☺b", true)]
    [InlineData("a[^a]b", "a☺b", true)]
    [InlineData("a???b", "a☺b", false)]
    [InlineData("a[^a][^a][^a]b", "a☺b", false)]
    [InlineData("[a-ζ]*", "α", true)]
    [InlineData("*[a-ζ]", "A", false)]
    [InlineData("a?b", "a/b", false)]
    [InlineData("a*b", "a/b", false)]
    [InlineData("[\\]a]", "]", true)]
    [InlineData("[\\-]", "-", true)]
    [InlineData("[x\\-]", "x", true)]
    [InlineData("[x\\-]", "-", true)]
    [InlineData("[x\\-]", "z", false)]
    [InlineData("[\\-x]", "x", true)]
    [InlineData("[\\-x]", "-", true)]
    [InlineData("[\\-x]", "a", false)]
    [InlineData("*x", "xxx", true)]
    [InlineData("a?b", "a\U0001F600b", true)]
    public void Section5FilepathMatchRows(string pattern, string path, bool expected)
    {
        // Go filepath.Match facts, checked through the matcher Docker uses.
        Assert.Equal(expected, PatternMatcher.Create([pattern]).MatchesOrParentMatches(path));
    }

    [Theory]
    [InlineData("[]a]", "]")]
    [InlineData("[-]", "-")]
    [InlineData("[x-]", "x")]
    [InlineData("[x-]", "-")]
    [InlineData("[x-]", "z")]
    [InlineData("[-x]", "x")]
    [InlineData("[-x]", "-")]
    [InlineData("[-x]", "a")]
    [InlineData("\\", "a")]
    [InlineData("[a-b-c]", "a")]
    [InlineData("[", "a")]
    [InlineData("[^", "a")]
    [InlineData("[^bc", "a")]
    [InlineData("a[", "a")]
    [InlineData("a[", "ab")]
    public void Section5MalformedPatternsAreErrors(string pattern, string path)
    {
        // A bad pattern must stop the build rather than silently send (or drop) files.
        Assert.Throws<InvalidIgnorePatternException>(() => PatternMatcher.Create([pattern]).MatchesOrParentMatches(path));
    }

    [Fact]
    public void ContextRootIsNeverMatched()
    {
        // Excluding "." would send an empty context.
        var ignore = DockerIgnore.Parse("**\n*");
        Assert.False(ignore.Matches("."));
        Assert.False(ignore.Matches(""));
        Assert.False(ignore.CanSkipDirectory("."));
    }

    [Fact]
    public void DockerfileAndIgnoreFileCanBeMatched()
    {
        // Matches answers the pattern question truthfully; the builder still reads both files (documented policy).
        var ignore = DockerIgnore.Parse("Dockerfile\n.dockerignore\n");
        Assert.True(ignore.Matches("Dockerfile"));
        Assert.True(ignore.Matches(".dockerignore"));
    }
}
