using Berth.Dockerfile.Parser;

namespace Berth.Dockerfile.Tests.Parser;

public sealed class ParserTests
{
    [Fact]
    public void HeredocBodiesAttachToTheirInstructionInOrder()
    {
        // Heredocs are not in the golden dumps, so their bodies, names and flags are pinned here.
        var result = DockerfileParser.Parse("FROM a\nCOPY <<A <<-\"B\" /dest/\nfirst\nA\n\tsecond\n\tB\nRUN echo hi\n");
        var copy = result.Root.Children[1];
        Assert.Equal(2, copy.Heredocs.Count);
        Assert.Equal(new Heredoc("A", 0, Expand: true, Chomp: false, "first\n"), copy.Heredocs[0]);
        Assert.Equal(new Heredoc("B", 0, Expand: false, Chomp: true, "\tsecond\n"), copy.Heredocs[1]);
        Assert.Equal("second\n", copy.Heredocs[1].EffectiveContent);
        Assert.Equal((2, 6), (copy.StartLine, copy.EndLine));
        Assert.Equal("(copy \"<<A\" \"<<-\\\"B\\\"\" \"/dest/\")", "(" + AstDumper.Dump(copy) + ")");
        Assert.Equal(7, result.Root.Children[2].StartLine);
    }

    [Fact]
    public void HeredocBodyIsRawTextWithoutCommentOrContinuationHandling()
    {
        // A script body must reach the shell byte for byte, comments and trailing backslashes included.
        var result = DockerfileParser.Parse("FROM a\nRUN 3<<EOF cat\n# not a comment\nline \\\n  EOF\nEOF\n");
        var doc = Assert.Single(result.Root.Children[1].Heredocs);
        Assert.Equal(3, doc.FileDescriptor);
        Assert.Equal("# not a comment\nline \\\n  EOF\n", doc.Content);
    }

    [Theory]
    [InlineData("<<EOF", "EOF", true)]
    [InlineData("<<'EOF'", "EOF", false)]
    [InlineData("<<\"EOF\"", "EOF", false)]
    [InlineData("<<eo'f'", "eof", false)]
    [InlineData("<<'e'o\\'f", "eo'f", false)]
    [InlineData("<<eo\\'f", "eo'f", true)]
    [InlineData("<< EOF", "EOF", true)]
    public void HeredocNamesFollowBuildKitQuotingRules(string word, string name, bool expand)
    {
        // Whether a heredoc body is expanded depends on quoting anywhere in its name.
        var h = HeredocParser.Parse(word);
        Assert.NotNull(h);
        Assert.Equal(name, h.Name);
        Assert.Equal(expand, h.Expand);
    }

    [Theory]
    [InlineData("<<")]
    [InlineData("<<-")]
    [InlineData("<EOF")]
    [InlineData("<<<EOF")]
    [InlineData("<<EOF sh")]
    public void WordsThatOnlyResembleHeredocsAreNotHeredocs(string word)
    {
        // Here-strings and redirections must stay shell text.
        Assert.Null(HeredocParser.Parse(word));
    }

    [Theory]
    [InlineData("RUN \"<<EOF\"")]
    [InlineData("RUN '<<EOF'")]
    [InlineData("RUN [\"<<EOF\"]")]
    public void QuotedOrJsonHeredocMarkersOpenNoHeredoc(string line)
    {
        // Otherwise the following lines would silently vanish into a body.
        var result = DockerfileParser.Parse($"FROM a\n{line}\nRUN true\n");
        Assert.Empty(result.Root.Children[1].Heredocs);
        Assert.Equal(3, result.Root.Children.Count);
    }

    [Fact]
    public void UnterminatedHeredocIsAnErrorAtItsInstruction()
    {
        // A missing terminator would otherwise swallow the rest of the file.
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("FROM a\nRUN <<EOF\necho\n"));
        Assert.Equal(2, e.Line);
        Assert.Contains("unterminated heredoc", e.Message);
        Assert.Equal("RUN <<EOF", e.LineText);
    }

    [Fact]
    public void OnbuildHeredocIsRecognised()
    {
        // ONBUILD RUN <<EOF must consume its body, or the body parses as instructions.
        var result = DockerfileParser.Parse("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n");
        Assert.Equal(2, result.Root.Children.Count);
        Assert.Equal("echo hi\n", Assert.Single(result.Root.Children[1].Heredocs).Content);
    }

    [Fact]
    public void DirectivesAreRecordedAndBacktickEscapeContinuesLines()
    {
        // Windows-style Dockerfiles use ` so that \ can appear in paths.
        var result = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM a\nRUN dir c:\\ `\n  && echo\n");
        Assert.Equal(new ParserDirectives("docker/dockerfile:1", '`', "skip=all"), result.Directives);
        Assert.Equal("(run \"dir c:\\\\   && echo\")", "(" + AstDumper.Dump(result.Root.Children[1]) + ")");
    }

    [Theory]
    [InlineData("# escape=x\nFROM a\n", "invalid escape token 'x' does not match ` or \\", 1)]
    [InlineData("# escape=\\\n# escape=`\nFROM a\n", "only one escape parser directive can be used", 2)]
    [InlineData("", "file with no instructions", 1)]
    public void DirectiveAndEmptyFileErrorsNameTheLine(string text, string reason, int line)
    {
        // file:line is what the user needs to fix a Dockerfile.
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse(text, "ctx/Dockerfile.dev"));
        Assert.Equal(reason, e.Reason);
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"ctx/Dockerfile.dev:{line}:", e.Message);
    }

    [Fact]
    public void DirectiveAfterACommentIsAComment()
    {
        // Directives only count at the very top; later they are plain comments.
        var result = DockerfileParser.Parse("# hello\n# escape=`\nFROM a\n");
        Assert.Equal('\\', result.EscapeToken);
    }

    [Fact]
    public void EmptyContinuationLineWarnsWithTheJoinedLine()
    {
        // BuildKit will make this an error one day; users should hear about it now.
        var result = DockerfileParser.Parse("FROM a\nRUN something \\\n\n    following \\\n    more\n");
        var w = Assert.Single(result.Warnings);
        Assert.Equal("Empty continuation line found in: RUN something     following     more", w.Short);
        Assert.Equal(5, w.Line);
    }

    [Fact]
    public void CrlfAndBomParseLikeLf()
    {
        // Dockerfiles written on Windows must build the same.
        var result = DockerfileParser.Parse("\uFEFFFROM a\r\nRUN a \\\r\n b\r\n");
        Assert.Equal("(from \"a\")\n(run \"a  b\")", AstDumper.Dump(result.Root));
    }

    [Fact]
    public void OverlongLineIsRejected()
    {
        // Mirrors BuildKit's scanner limit so a file accepted here is accepted there.
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("FROM a\nLABEL foo=" + new string('x', 65536) + "\n"));
        Assert.Contains("dockerfile line greater than max allowed size of 65535", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void PrevCommentsAreKeptForTheNextInstruction()
    {
        // ARG and stage descriptions come from the comment right above them.
        var result = DockerfileParser.Parse("FROM a\n# the version\nARG V=1\n");
        Assert.Equal(["the version"], result.Root.Children[1].PrevComments);
    }

    [Theory]
    [InlineData("a", "\"a\"")]
    [InlineData("\u00a0", "\"\\u00a0\"")]
    [InlineData("\u0000\t\u007f", "\"\\x00\\t\\x7f\"")]
    [InlineData("\U0001F600", "\"\U0001F600\"")]
    [InlineData("\U000E0001", "\"\\U000e0001\"")]
    [InlineData("\"\\", "\"\\\"\\\\\"")]
    public void GoQuoteEscapesLikeStrconvQuote(string input, string expected)
    {
        // The golden files were written by Go; our dump must quote the same way.
        Assert.Equal(expected, AstDumper.GoQuote(input));
    }
}
