using System.Diagnostics;
using System.Text;
using Berth.Build.Cache;
using Berth.Dockerfile.Instructions;
using Berth.Oci.Errors;

namespace Berth.Build;

public sealed partial class Builder
{
    private sealed partial class BuildRun
    {
        private async Task RunAsync(Stage stage, Steps.StageState state, RunInstruction r, string shown, int index, int total, string lineage, CancellationToken ct)
        {
            var args = RunArgs(r, state);
            // Build args in scope reach the command as environment, unless ENV sets the same name (BuildKit).
            var env = (state.Config.Env ?? []).ToList();
            var envNames = env.Select(e => e.Split('=', 2)[0]).ToHashSet(StringComparer.Ordinal);
            var argEnv = state.Args.Values.Where(a => !envNames.Contains(a.Key)).OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => $"{a.Key}={a.Value}").ToList();
            // Proxy args are usable without ARG and are left out of the key and history on purpose: they change how
            // the step reaches the network, not what it builds (BuildKit's ExecOp.CacheMap does the same).
            var proxies = _req.BuildArgs.Where(a => ProxyArgs.Contains(a.Key) && !state.Args.Values.ContainsKey(a.Key)).Select(a => $"{a.Key}={a.Value}").ToList();
            var runEnv = env.Concat(argEnv).Concat(proxies).ToList();
            var text = "RUN " + (argEnv.Count > 0 ? $"|{argEnv.Count} {string.Join(' ', argEnv)} " : "") + string.Join(' ', args);
            var network = r.Network == RunNetwork.Default ? _req.DefaultNetwork : r.Network;

            var info = Step(stage, index, total, shown);
            var key = new CacheKey("run").Add("parent", state.Key).Add("args", args).Add("env", argEnv)
                .Add("workdir", state.Config.WorkingDir).Add("user", state.Config.User).Add("network", network.ToString())
                .Add("security", r.Security)
                // Cache mount IDs and secret contents are left out: they are scratch space and credentials, not inputs.
                .Add("mounts", r.Mounts.Select(m => $"{m.Type} {m.Target}")).Finish();
            var mounts = Mounts(r, stage);
            await LayerStepAsync(info, state, key, text + " # buildkit", lineage, $"{state.Key}\n{text}", async upper =>
            {
                var executor = _b.Executor ?? throw new BerthException(ErrorKind.NotImplemented, "RUN needs a container runtime, and none is configured");
                var work = Path.Combine(Path.GetDirectoryName(upper)!, "work");
                Directory.CreateDirectory(work);
                var tail = new Queue<string>();
                int exit;
                try
                {
                    exit = await executor.RunAsync(new RunStep
                    {
                        Id = "berth-build-" + Guid.NewGuid().ToString("N")[..16],
                        LowerDirs = [.. Enumerable.Reverse(state.Layers).Select(l => Store.Snapshots.PathOf(l.ChainId))],
                        UpperDir = upper,
                        WorkDir = work,
                        Args = args,
                        Env = runEnv,
                        WorkingDir = state.Config.WorkingDir is { Length: > 0 } w ? w : "/",
                        User = state.Config.User is { Length: > 0 } u ? u : null,
                        Network = network,
                        Mounts = mounts,
                        Output = line =>
                        {
                            lock (tail)
                            {
                                tail.Enqueue(line);
                                if (tail.Count > 10) tail.Dequeue();
                            }
                            Progress.Output(info, line);
                        },
                    }, ct);
                }
                finally
                {
                    try { Directory.Delete(work, recursive: true); } catch (IOException) { /* overlay may leave a busy dir; the snapshot dir goes with it */ }
                }
                if (exit != 0)
                {
                    var sb = new StringBuilder($"process \"{string.Join(' ', args)}\" did not complete successfully: exit code: {exit}");
                    lock (tail)
                        if (tail.Count > 0) sb.Append("\nlast output:\n  ").AppendJoin("\n  ", tail);
                    throw new RunStepFailedException(args, exit, sb.ToString());
                }
                return true;
            }, ct);
        }

        /// <summary>The argv of a RUN: exec form as written; shell form through SHELL, heredocs appended as the
        /// shell would read them, and a lone heredoc as the whole script (BuildKit).</summary>
        private static IReadOnlyList<string> RunArgs(RunInstruction r, Steps.StageState state)
        {
            if (!r.Command.PrependShell) return r.Command.Args;
            var script = string.Join(' ', r.Command.Args);
            if (r.Heredocs.Count == 1 && System.Text.RegularExpressions.Regex.IsMatch(script.Trim(), "^<<-?[\"']?[A-Za-z0-9_]+[\"']?$"))
                return [.. state.Shell, r.Heredocs[0].EffectiveContent];
            if (r.Heredocs.Count > 0)
            {
                var sb = new StringBuilder(script);
                foreach (var h in r.Heredocs) sb.Append('\n').Append(h.EffectiveContent).Append(h.Name);
                script = sb.ToString();
            }
            return [.. state.Shell, script];
        }

        private List<RunStepMount> Mounts(RunInstruction r, Stage stage)
        {
            var list = new List<RunStepMount>();
            foreach (var m in r.Mounts)
            {
                switch (m)
                {
                    case CacheMount c:
                    {
                        if (c.From is not null) throw new BerthException(ErrorKind.NotImplemented, "RUN --mount=type=cache,from= is not supported yet");
                        var id = c.Id ?? c.Target ?? "";
                        var dir = Path.Combine(Store.Root, "build-cache-mounts", Oci.Digest.Sha256(Encoding.UTF8.GetBytes(id)).Hex[..32]);
                        Directory.CreateDirectory(dir);
                        list.Add(new RunStepMount(dir, c.Target!, c.ReadOnly));
                        break;
                    }
                    case TmpfsMount t:
                        list.Add(new RunStepMount(null, t.Target!, false));
                        break;
                    case BindMount b:
                    {
                        if (b.From is not null) throw new BerthException(ErrorKind.NotImplemented, "RUN --mount=type=bind,from= is not supported yet");
                        var rel = CleanRelative(b.Source ?? "");
                        // Resolved inside the context: a symlink there must not bind a host directory into the step.
                        if (Files.IsIgnored(rel) || Files.ResolvedHostPath(rel) is not { } source)
                            throw BerthException.NotFound($"RUN --mount=type=bind: \"/{rel}\": not found in the context");
                        list.Add(new RunStepMount(source, b.Target!, b.ReadOnly));
                        break;
                    }
                    case SecretMount s:
                    {
                        if (s.Env is not null && s.Target is null)
                            throw new BerthException(ErrorKind.NotImplemented, "RUN --mount=type=secret,env= is not supported yet");
                        if (!_req.Secrets.TryGetValue(s.Id, out var file))
                        {
                            if (s.Required) throw BerthException.NotFound($"secret {s.Id} not found");
                            continue;
                        }
                        list.Add(new RunStepMount(file, s.Target ?? "/run/secrets/" + s.Id, true));
                        break;
                    }
                    default:
                        throw new BerthException(ErrorKind.NotImplemented, $"RUN --mount=type={m.Type} is not supported yet");
                }
            }
            _ = stage;
            return list;
        }
    }
}
