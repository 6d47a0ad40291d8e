using System.Security.Cryptography;
using Berth.Build.Progress;

namespace Berth.Api.Streams;

/// <summary>A build's progress as the legacy builder's stream, which the docker CLI prints as it comes:
/// <c>Step 2/4 : RUN …</c>, then <c> ---&gt; Running in ID</c>, the output and <c>Removing intermediate container
/// ID</c> for a RUN that runs (or <c> ---&gt; Using cache</c> for a step that does not), and <c> ---&gt; ID</c> with the
/// step's result. berth runs a RUN in a container of its own build, not a docker container: the ID shown for it
/// is a fresh one, as each of dockerd's is. A failed RUN's container is said to be removed with
/// <paramref name="forceRm"/> only: without it dockerd keeps it (berth keeps none).</summary>
internal sealed class JsonBuildProgress(JsonMessageWriter writer, bool quiet, bool forceRm = false) : IBuildProgress
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, string> _running = [];

    public void Started(BuildStepInfo step)
    {
        if (!quiet) writer.Stream(StepLine(step.Name) + "\n");
    }

    public void Cached(BuildStepInfo step)
    {
        // The legacy builder shows a FROM's image, not a cache hit.
        if (!quiet && Keyword(step.Name) != "FROM") writer.Stream(" ---> Using cache\n");
    }

    public void Running(BuildStepInfo step, string reason)
    {
        if (quiet || Keyword(step.Name) != "RUN") return;
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        lock (_gate) _running[step.Number] = id;
        writer.Stream($" ---> Running in {id}\n");
    }

    public void Output(BuildStepInfo step, string line)
    {
        if (!quiet) writer.Stream(line + "\n");
    }

    public void Done(BuildStepInfo step, TimeSpan elapsed)
    {
        if (quiet) return;
        string? id;
        lock (_gate) _running.Remove(step.Number, out id);
        if (id is not null) writer.Stream($"Removing intermediate container {id}\n");
    }

    public void Failed(BuildStepInfo step, string error)
    {
        string? id;
        lock (_gate) _running.Remove(step.Number, out id);
        if (!quiet && forceRm && id is not null) writer.Stream($"Removing intermediate container {id}\n");
    }

    public void Result(BuildStepInfo step, string id)
    {
        if (!quiet) writer.Stream($" ---> {Short(id)}\n");
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
            return $"Step {stage}{counter[(space + 1)..]} : {name[(end + 2)..]}";
        }
        return "Step " + name;
    }

    /// <summary>The instruction of a step name (<c>[2/4] RUN …</c> → RUN).</summary>
    private static string Keyword(string name)
    {
        var text = name.StartsWith('[') && name.IndexOf("] ", StringComparison.Ordinal) is > 0 and var end ? name[(end + 2)..] : name;
        var space = text.IndexOf(' ');
        return (space < 0 ? text : text[..space]).ToUpperInvariant();
    }

    /// <summary>A digest's first 12 hex digits, as docker shortens IDs.</summary>
    private static string Short(string id)
    {
        var hex = id[(id.LastIndexOf(':') + 1)..];
        return hex.Length > 12 ? hex[..12] : hex;
    }
}
