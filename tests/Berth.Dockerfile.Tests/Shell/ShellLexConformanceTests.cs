using Berth.Dockerfile.Shell;
using Berth.Testing;

namespace Berth.Dockerfile.Tests.Shell;

public sealed class ShellLexConformanceTests
{
    private static readonly string? Suite = RepoPaths.Conformance("shell-lex");

    private static readonly VariableScope EnvVarTestEnv = new(new Dictionary<string, string>
    {
        ["PWD"] = "/home",
        ["SHELL"] = "bash",
        ["KOREAN"] = "한국어",
        ["NULL"] = "",
    });

    public static TheoryData<int, string, string> EnvVarRows()
    {
        var data = new TheoryData<int, string, string>();
        if (Suite is null)
        {
            data.Add(0, "(absent)", "(absent)");
            return data;
        }
        var lineNo = 0;
        foreach (var raw in File.ReadAllLines(Path.Combine(Suite, "envVarTest")))
        {
            lineNo++;
            if (raw.StartsWith('#'))
            {
                continue;
            }
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var fields = line.Split('|');
            if (fields.Length != 3)
            {
                throw new InvalidDataException($"envVarTest:{lineNo}: expected 3 fields");
            }
            var platform = fields[0].Trim();
            if (platform == "W")
            {
                continue;
            }
            if (platform is not ("A" or "U"))
            {
                throw new InvalidDataException($"envVarTest:{lineNo}: bad platform {platform}");
            }
            data.Add(lineNo, fields[1].Trim(), fields[2].Trim());
        }
        return data;
    }

    public static TheoryData<int, string, string[], string[]> WordsRows()
    {
        var data = new TheoryData<int, string, string[], string[]>();
        if (Suite is null)
        {
            data.Add(0, "(absent)", [], []);
            return data;
        }
        var env = new List<string>();
        var lineNo = 0;
        foreach (var line in File.ReadAllLines(Path.Combine(Suite, "wordsTest")))
        {
            lineNo++;
            if (line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith("ENV ", StringComparison.Ordinal))
            {
                env.Add(line[3..].TrimStart(' '));
                continue;
            }
            var fields = line.Split('|');
            if (fields.Length != 2)
            {
                throw new InvalidDataException($"wordsTest:{lineNo}: expected exactly one |");
            }
            data.Add(lineNo, fields[0].Trim(), fields[1].TrimStart(' ').Split(','), [.. env]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EnvVarRows))]
    public void EnvVarTestRowExpandsAsBuildKit(int line, string input, string expected)
    {
        // These vectors are BuildKit's definition of ProcessWord; ENV, WORKDIR and COPY paths go through it.
        HostCapabilities.Require(Suite is not null, "tests/conformance/shell-lex is absent");
        var lexer = new ShellLexer('\\');
        if (expected == "error")
        {
            Assert.Throws<ShellExpansionException>(() => lexer.ProcessWord(input, EnvVarTestEnv));
            return;
        }
        var result = lexer.ProcessWord(input, EnvVarTestEnv);
        Assert.True(expected == result.Result, $"envVarTest:{line}: {input} gave [{result.Result}], want [{expected}]");
    }

    [Theory]
    [MemberData(nameof(WordsRows))]
    public void WordsTestRowSplitsAsBuildKit(int line, string input, string[] expected, string[] envLines)
    {
        // ProcessWords splits only whitespace that came from unquoted text or expansions.
        HostCapabilities.Require(Suite is not null, "tests/conformance/shell-lex is absent");
        var env = new VariableScope();
        foreach (var e in envLines)
        {
            var eq = e.IndexOf('=');
            if (eq < 0)
            {
                env.Set(e, "");
            }
            else
            {
                env.Set(e[..eq], e[(eq + 1)..]);
            }
        }
        string[] actual;
        try
        {
            actual = [.. new ShellLexer('\\').ProcessWords(input, env).Words];
        }
        catch (ShellExpansionException)
        {
            actual = ["error"];
        }
        Assert.True(expected.SequenceEqual(actual),
            $"wordsTest:{line}: {input} gave [{string.Join("|", actual)}], want [{string.Join("|", expected)}]");
    }
}
