using System.Globalization;

namespace Berth.Build.Progress;

/// <summary>BuildKit's plain output: <c>#3 [2/4] COPY . .</c>, then <c>#3 CACHED</c> or the reason it ran, its
/// output lines and <c>#3 DONE 0.1s</c>. One lock keeps lines of parallel stages whole.</summary>
public sealed class PlainProgress(TextWriter writer) : IBuildProgress
{
    private readonly Lock _gate = new();

    private void Line(string text)
    {
        lock (_gate)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }

    public void Started(BuildStepInfo step) => Line($"#{step.Number} {step.Name}");
    public void Cached(BuildStepInfo step) => Line($"#{step.Number} CACHED");
    public void Running(BuildStepInfo step, string reason) => Line($"#{step.Number} running: {reason}");
    public void Output(BuildStepInfo step, string line) => Line($"#{step.Number} {line}");
    public void Done(BuildStepInfo step, TimeSpan elapsed) =>
        Line($"#{step.Number} DONE {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s");
    public void Failed(BuildStepInfo step, string error) => Line($"#{step.Number} ERROR: {error}");
    public void Canceled(BuildStepInfo step) => Line($"#{step.Number} CANCELED");
    public void Message(string text) => Line(text);
}
