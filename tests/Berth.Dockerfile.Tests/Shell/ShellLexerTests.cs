using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Tests.Shell;

public sealed class ShellLexerTests
{
    private static ShellWordResult Word(string input, params (string Name, string Value)[] env) =>
        new ShellLexer().ProcessWord(input, new VariableScope(env.Select(e => KeyValuePair.Create(e.Name, e.Value))));

    [Theory]
    [InlineData("${FOO#*x*y}", "xxyy", "y")]
    [InlineData("${FOO##*x}", "xxyy", "yy")]
    [InlineData("${FOO#*}", "xxyy", "xxyy")]
    [InlineData("${FOO%%\\**\\*}", "a***yy*", "a")]
    [InlineData("${FOO#()[]{\\}^$.\\*\\?|\\\\}", "()[]{}^$.*?|\\x", "x")]
    [InlineData("${FOO%y}", "xxyy", "xxy")]
    [InlineData("${FOO%%y*}", "xxyy", "xx")]
    [InlineData("${FOO//\\//\\/}", "/tmp/foo.txt", "\\/tmp\\/foo.txt")]
    [InlineData("${FOO///}", "/tmp/foo.txt", "/tmp/foo.txt")]
    [InlineData("${FOO/?/Z}", "\U0001F600b", "Zb")]
    public void PatternOperatorsMatchBuildKit(string input, string value, string expected)
    {
        // Shortest/longest prefix and suffix removal and replacement are the BuildKit Go tests' facts.
        Assert.Equal(expected, Word(input, ("FOO", value)).Result);
    }

    [Fact]
    public void ReplacementPatternMayUseVariables()
    {
        // ${FOO/$NEEDLE/} is how Dockerfiles strip a prefix given by a build arg.
        var r = Word("${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", ("FOO", "/tmp/tmp/bar.txt"), ("NEEDLE", "/tmp"));
        Assert.Equal("/tmp/bar.txt - /bar.txt", r.Result);
    }

    [Theory]
    [InlineData("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", "xxx  ccc")]
    [InlineData("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", "xxx bbb ccc")]
    [InlineData("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", "aaa bbb ")]
    [InlineData("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", "aaa  ")]
    public void SetEmptyAndUnsetDifferForColonForms(string input, string expected)
    {
        // "set but empty" must stay distinct from "unset" or ${a-b} and ${a:-b} would coincide.
        Assert.Equal(expected, Word(input, ("FOO", "xxx"), ("BAR", "")).Result);
    }

    [Theory]
    [InlineData("${FOO=aaa}")]
    [InlineData("${FOO=:aaa}")]
    [InlineData("${FOO=}")]
    [InlineData("${FOO:#}")]
    [InlineData("${FOO:##}")]
    [InlineData("${FOO:%}")]
    [InlineData("${FOO:%%}")]
    [InlineData("${FOO//ww}")]
    [InlineData("${FOO//}")]
    public void UnsupportedModifiersAreErrors(string input)
    {
        // Assignment forms cannot work in a Dockerfile; silently expanding them would hide a mistake.
        Assert.Throws<ShellExpansionException>(() => Word(input, ("FOO", "x")));
    }

    [Fact]
    public void QuestionOperatorReportsTheExpandedMessage()
    {
        // ${VAR:?msg} is how a Dockerfile demands a build arg; the message must reach the user.
        Assert.Equal("plain", Word("${VAR:?msg$ARG}", ("VAR", "plain"), ("ARG", "x")).Result);
        var e = Assert.Throws<ShellExpansionException>(() => Word("${VAR:?message here$ARG}", ("ARG", "x")));
        Assert.Contains("message herex", e.Message);
        Assert.Equal("", Word("${VAR?msg}", ("VAR", "")).Result);
        Assert.Throws<ShellExpansionException>(() => Word("${VAR?msg}"));
    }

    [Theory]
    [InlineData("v7", "something-1.linux-arm-v7.tar.gz")]
    [InlineData("", "something-1.linux-arm.tar.gz")]
    [InlineData(null, "something-1.linux-arm.tar.gz")]
    public void ReleaseFileTemplateExpands(string? variant, string expected)
    {
        // The nested ${a:+-${a}} idiom is common in multi-platform Dockerfiles.
        var env = new List<(string, string)> { ("VERSION", "1"), ("TARGETOS", "linux"), ("TARGETARCH", "arm") };
        if (variant is not null)
        {
            env.Add(("TARGETVARIANT", variant));
        }
        var r = Word("something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz", [.. env]);
        Assert.Equal(expected, r.Result);
    }

    [Fact]
    public void MatchedAndUnmatchedVariablesAreReported()
    {
        // The build cache keys a step on the build args it actually used.
        var r = Word("$A ${B:-x} ${C}", ("A", "1"), ("C", ""));
        Assert.Equal(["A", "C"], r.Matched.Order(StringComparer.Ordinal));
        Assert.Equal(["B"], r.Unmatched);
    }

    [Fact]
    public void BacktickEscapeTokenEscapesAndBackslashIsLiteral()
    {
        // Under "# escape=`", C:\path must survive expansion.
        var lexer = new ShellLexer('`');
        Assert.Equal("C:\\dir $HOME", lexer.ProcessWord("C:\\dir `$HOME", VariableScope.Empty).Result);
    }

    [Fact]
    public void SkipUnsetEnvLeavesReferencesAlone()
    {
        // Heredoc name detection relies on unset variables surviving as text.
        var lexer = new ShellLexer { SkipUnsetEnv = true };
        Assert.Equal("$A ${B} ${C:-x}", lexer.ProcessWord("$A ${B} ${C:-x}", VariableScope.Empty).Result);
    }

    [Fact]
    public void RawQuotesKeepQuoteCharacters()
    {
        // Needed to tell <<'EOF' from <<EOF.
        var lexer = new ShellLexer { RawQuotes = true };
        Assert.Equal("'a b'\"c\"", lexer.ProcessWord("'a b'\"c\"", VariableScope.Empty).Result);
    }
}
