using Berth.Dockerfile.Instructions;
using Berth.Dockerfile.Parser;

namespace Berth.Dockerfile.Tests.Instructions;

internal static class InstructionTestHelpers
{
    /// <summary>Parses "FROM base" + the given lines and returns the instruction on the second line.</summary>
    public static T Single<T>(string line) where T : Instruction
    {
        var result = DockerfileParser.Parse("FROM base\n" + line + "\n");
        return Assert.IsType<T>(InstructionParser.Parse(result.Root.Children[1], result));
    }

    public static DockerfileParseException Fails(string text, string file = "Dockerfile")
    {
        return Assert.Throws<DockerfileParseException>(() => DockerfileStages.Parse(text, file));
    }
}
