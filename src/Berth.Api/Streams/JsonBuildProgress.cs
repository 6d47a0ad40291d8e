using Berth.Build.Progress;

namespace Berth.Api.Streams;

/// <summary>A build's progress as the legacy builder's stream, which the docker CLI prints as it comes:
/// <c>Step 1/4 : FROM …</c>, <c> ---&gt; Using cache</c>, the RUN output.</summary>
internal sealed class JsonBuildProgress(JsonMessageWriter writer, bool quiet) : IBuildProgress
{
    public void Started(BuildStepInfo step)
    {
        if (!quiet) writer.Stream(StepLine(step.Name) + "\n");
    }

    /// <summary>A step answered from the cache. The builder reports its FROM steps so too (the base image is at
    /// hand), but the legacy builder says "Using cache" for the steps after FROM only: clients count those lines
    /// as the steps the cache saved.</summary>
    public void Cached(BuildStepInfo step)
    {
        if (!quiet && !Instruction(step.Name).StartsWith("FROM ", StringComparison.Ordinal)) writer.Stream(" ---> Using cache\n");
    }

    public void Running(BuildStepInfo step, string reason)
    {
        if (!quiet) writer.Stream(" ---> Running (" + reason + ")\n");
    }

    public void Output(BuildStepInfo step, string line)
    {
        if (!quiet) writer.Stream(line + "\n");
    }

    public void Done(BuildStepInfo step, TimeSpan elapsed)
    {
    }

    public void Failed(BuildStepInfo step, string error)
    {
    }

    public void Message(string text)
    {
        if (!quiet) writer.Stream(text + "\n");
    }

    /// <summary>berth's step name <c>[2/4] RUN …</c> (or <c>[stage 2/4] RUN …</c>) in the legacy builder's words,
    /// <c>Step 2/4 : RUN …</c>.</summary>
    internal static string StepLine(string name)
    {
        if (name.StartsWith('[') && name.IndexOf("] ", StringComparison.Ordinal) is > 0 and var end)
        {
            var counter = name[1..end];
            var space = counter.LastIndexOf(' ');
            var stage = space < 0 ? "" : counter[..space] + " ";
            return $"Step {stage}{counter[(space + 1)..]} : {Instruction(name)}";
        }
        return "Step " + name;
    }

    /// <summary>The instruction of a step name, without its <c>[stage N/M]</c> counter.</summary>
    private static string Instruction(string name) =>
        name.StartsWith('[') && name.IndexOf("] ", StringComparison.Ordinal) is > 0 and var end ? name[(end + 2)..] : name;
}
