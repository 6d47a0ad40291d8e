using Berth.Dockerfile.Parser;
using Berth.Testing;

namespace Berth.Dockerfile.Tests.Parser;

public sealed class ParserConformanceTests
{
    private static readonly string? Suite = RepoPaths.Conformance("dockerfile-parser");

    public static TheoryData<string> PositiveCases()
    {
        var data = new TheoryData<string>();
        if (Suite is null)
        {
            data.Add("(conformance data absent)");
            return data;
        }
        foreach (var dir in Directory.GetDirectories(Path.Combine(Suite, "testfiles")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }
        return data;
    }

    public static TheoryData<string> NegativeCases()
    {
        var data = new TheoryData<string>();
        if (Suite is null)
        {
            data.Add("(conformance data absent)");
            return data;
        }
        foreach (var dir in Directory.GetDirectories(Path.Combine(Suite, "testfiles-negative")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PositiveCases))]
    public void TestfileDumpsExactlyItsResult(string name)
    {
        // The dump is BuildKit's golden format: byte equality proves the parser splits words, flags and JSON alike.
        HostCapabilities.Require(Suite is not null, "tests/conformance/dockerfile-parser is absent");
        var dir = Path.Combine(Suite!, "testfiles", name);
        var input = File.ReadAllBytes(Path.Combine(dir, "Dockerfile"));

        var result = DockerfileParser.Parse(input);
        var actual = AstDumper.Dump(result.Root) + "\n";

        // BuildKit's own result file: compared, never rewritten (Golden refuses BERTH_UPDATE_GOLDEN here).
        Golden.Default.AssertMatches(Path.Combine(dir, "result"), actual);
    }

    [Theory]
    [MemberData(nameof(NegativeCases))]
    public void NegativeTestfileFailsToParse(string name)
    {
        // Upstream only asserts failure; we also insist on our exception type so the CLI can map it to exit 1.
        HostCapabilities.Require(Suite is not null, "tests/conformance/dockerfile-parser is absent");
        var input = File.ReadAllBytes(Path.Combine(Suite!, "testfiles-negative", name, "Dockerfile"));
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse(input));
        Assert.Equal("Dockerfile", e.File);
        Assert.True(e.Line >= 1);
    }

    [Fact]
    public void TestfileLineReportsUpstreamLineRanges()
    {
        // Error messages and the cache's "which instruction" both rely on line ranges that include skipped lines.
        HostCapabilities.Require(Suite is not null, "tests/conformance/dockerfile-parser is absent");
        var input = File.ReadAllBytes(Path.Combine(Suite!, "testfile-line", "Dockerfile"));
        var root = DockerfileParser.Parse(input).Root;

        Assert.Equal(5, root.StartLine);
        Assert.Equal(31, root.EndLine);
        Assert.Equal(3, root.Children.Count);
        Assert.Equal((5, 5), (root.Children[0].StartLine, root.Children[0].EndLine));
        Assert.Equal((11, 12), (root.Children[1].StartLine, root.Children[1].EndLine));
        Assert.Equal((17, 31), (root.Children[2].StartLine, root.Children[2].EndLine));
    }
}
