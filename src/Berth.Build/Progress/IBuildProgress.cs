namespace Berth.Build.Progress;

/// <summary>What a build reports as it goes, step by step (BuildKit's vertex statuses): started, then CACHED, or
/// running with the reason and its output, then done or failed. Called from several stages at once.</summary>
public interface IBuildProgress
{
    void Started(BuildStepInfo step);
    void Cached(BuildStepInfo step);
    void Running(BuildStepInfo step, string reason);
    void Output(BuildStepInfo step, string line);
    void Done(BuildStepInfo step, TimeSpan elapsed);
    void Failed(BuildStepInfo step, string error);

    /// <summary>The step stopped because the build was cancelled (Ctrl-C): BuildKit's <c>CANCELED</c>.</summary>
    void Canceled(BuildStepInfo step) => Failed(step, "canceled");

    void Message(string text);

    /// <summary>The step is over (built or cached) and <paramref name="id"/> names its result: the digest the
    /// legacy builder's stream shows after each step.</summary>
    void Result(BuildStepInfo step, string id) { }
}

/// <summary>A step as progress shows it: a number, and a name like <c>[build 2/5] COPY . .</c>.</summary>
public sealed record BuildStepInfo(int Number, string Name);

/// <summary>Reports nothing (<c>--progress=quiet</c>, <c>-q</c>).</summary>
public sealed class NullProgress : IBuildProgress
{
    public static NullProgress Instance { get; } = new();
    public void Started(BuildStepInfo step) { }
    public void Cached(BuildStepInfo step) { }
    public void Running(BuildStepInfo step, string reason) { }
    public void Output(BuildStepInfo step, string line) { }
    public void Done(BuildStepInfo step, TimeSpan elapsed) { }
    public void Failed(BuildStepInfo step, string error) { }
    public void Message(string text) { }
}
