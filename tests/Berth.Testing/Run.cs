using System.Diagnostics;

namespace Berth.Testing;

public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs a program (berth or a peer) to completion with a timeout, capturing its output.</summary>
public static class Run
{
    public static RunResult Tool(string file, IEnumerable<string> args, string? stdinFile = null, TimeSpan? timeout = null,
        IDictionary<string, string>? env = null, string? stdoutFile = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdinFile is not null, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        Task<string> outTask;
        if (stdoutFile is not null)
            outTask = Task.Run(async () =>
            {
                await using var f = File.Create(stdoutFile);
                await p.StandardOutput.BaseStream.CopyToAsync(f);
                return "";
            });
        else outTask = p.StandardOutput.ReadToEndAsync();
        if (stdinFile is not null)
        {
            using (var f = File.OpenRead(stdinFile)) f.CopyTo(p.StandardInput.BaseStream);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }
        return new RunResult(p.ExitCode, outTask.GetAwaiter().GetResult(), errTask.GetAwaiter().GetResult());
    }

    public static RunResult Shell(string script, TimeSpan? timeout = null) => Tool("/bin/sh", ["-c", script], timeout: timeout);
}

/// <summary>The berth CLI against a private store root.</summary>
public sealed class Berth(string root)
{
    public string Root { get; } = root;

    public RunResult Run(params string[] args) => Testing.Run.Tool(RepoPaths.BerthBinary, ["--root", Root, .. args]);

    public RunResult RunWithStdin(string stdinFile, params string[] args) => Testing.Run.Tool(RepoPaths.BerthBinary, ["--root", Root, .. args], stdinFile);

    /// <summary>Runs and asserts exit 0, returning stdout.</summary>
    public string Ok(params string[] args)
    {
        var r = Run(args);
        Xunit.Assert.True(r.ExitCode == 0, $"berth {string.Join(' ', args)} failed:\n{r}");
        return r.Stdout;
    }
}
