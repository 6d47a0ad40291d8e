using System.Text;
using Berth.Dockerfile.Instructions;
using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Tests.Parser;

public sealed class RandomInputTests
{
    private static readonly string[] Fragments =
    [
        "FROM ", "RUN ", "COPY ", "ADD ", "ENV ", "ARG ", "LABEL ", "ONBUILD ", "HEALTHCHECK ", "CMD ", "SHELL ", "EXPOSE ",
        "VOLUME ", "WORKDIR ", "USER ", "STOPSIGNAL ", "MAINTAINER ", "ENTRYPOINT ", " AS ", "--mount=", "type=cache,",
        "target=", "--from=", "--", "=", "\\", "`", "\"", "'", "[", "]", ",", "{", "}", "$", "${", ":-", "#", "<<", "<<-",
        "EOF", "\n", "\r\n", "\t", " ", "# escape=`\n", "# syntax=x\n", "a", "0", "x=y", "\uFEFF", "\u00e9", "\U0001F600",
    ];

    [Fact]
    public void RandomBytesThrowOnlyDockerfileParseException()
    {
        // Any input a user or attacker hands the builder must fail cleanly, never with a crash of another kind.
        var rng = new Random(20240611);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[rng.Next(0, 200)];
            rng.NextBytes(bytes);
            Exercise(bytes);
        }
    }

    [Fact]
    public void RandomDockerfileFragmentsThrowOnlyDockerfileParseException()
    {
        // Byte noise rarely reaches deep code; token soup does.
        var rng = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            var sb = new StringBuilder();
            var n = rng.Next(1, 40);
            for (var j = 0; j < n; j++)
            {
                sb.Append(Fragments[rng.Next(Fragments.Length)]);
            }
            Exercise(Encoding.UTF8.GetBytes(sb.ToString()));
            Exercise(Encoding.UTF8.GetBytes("FROM a\n" + sb));
        }
    }

    private static void Exercise(byte[] bytes)
    {
        try
        {
            var result = Berth.Dockerfile.Parser.DockerfileParser.Parse(bytes);
            _ = Berth.Dockerfile.Parser.AstDumper.Dump(result.Root);
            var stages = DockerfileStages.From(result);
            var scope = stages.GlobalScope(new Dictionary<string, string>());
            foreach (var stage in stages.Stages)
            {
                _ = stage.From.Expand(new Expander(scope, result.EscapeToken));
                foreach (var instruction in stage.Instructions)
                {
                    _ = instruction.Expand(new Expander(scope, result.EscapeToken));
                }
            }
            _ = stages.RequiredStages(null, scope);
        }
        catch (DockerfileParseException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name}: {e.Message}\ninput: {Convert.ToBase64String(bytes)}\n{e.StackTrace}");
        }
    }
}
