using System.Globalization;
using System.Text;
using Berth.Build.Cache;
using Berth.Build.Steps;
using Berth.Dockerfile.Instructions;
using Berth.Dockerfile.Shell;
using Berth.Oci;

namespace Berth.Build;

public sealed partial class Builder
{
    private sealed partial class BuildRun
    {
        /// <summary>One instruction: expanded with the scope in effect, then applied to the config (metadata
        /// instructions: an <c>empty_layer</c> history entry) or run as a layer step.</summary>
        private async Task StepAsync(Stage stage, StageState state, Instruction raw, int index, int total, CancellationToken ct)
        {
            var expander = new Expander(state.ExpansionScope(), _file.Source.EscapeToken);
            var ins = raw.Expand(expander);
            foreach (var u in expander.Used) _usedArgs.Add(u);
            var lineage = Lineage(stage, index);
            switch (ins)
            {
                case CopyInstruction c:
                {
                    var info = Step(stage, index, total, Describe(c));
                    await CopyAsync(info, state, CopySpec.Of(c), Describe(c) + " # buildkit", lineage, ct);
                    return;
                }
                case AddInstruction a:
                {
                    var info = Step(stage, index, total, Describe(a));
                    await CopyAsync(info, state, CopySpec.Of(a), Describe(a) + " # buildkit", lineage, ct);
                    return;
                }
                case RunInstruction r:
                {
                    await RunAsync(stage, state, r, Shown(raw), index, total, lineage, ct);
                    return;
                }
                case WorkdirInstruction w:
                {
                    var path = ResolvePath(state.Config.WorkingDir, w.Path);
                    state.Config = state.Config with { WorkingDir = path };
                    var text = $"WORKDIR {path}";
                    var info = Step(stage, index, total, Shown(raw));
                    // Made inside the image, through its symlinks (WORKDIR /lnk where /lnk -> /a makes /a), as mkdir -p in a chroot.
                    var tree = TreeOf(state);
                    var real = tree.Resolve(path, followFinal: true);
                    if (tree.Find(real) is { Stat.IsDirectory: true })
                    {
                        Metadata(info, state, text);
                        return;
                    }
                    var owner = state.Config.User is { Length: > 0 } u ? Owners.Resolve(u, TreeOf(state)) : (0u, 0u);
                    var key = new CacheKey("workdir").Add("parent", state.Key).Add("path", path).Add("owner", $"{owner.Item1}:{owner.Item2}").Finish();
                    await LayerStepAsync(info, state, key, text, lineage, $"{state.Key}\n{text}", dir =>
                    {
                        var files = new LayerFiles(dir, tree, FixedTimeNs);
                        files.EnsureDirectories(real, includeSelf: true, owner.Item1, owner.Item2);
                        files.Finish();
                        return Task.FromResult(true);
                    }, ct);
                    return;
                }
            }

            string createdBy;
            switch (ins)
            {
                case EnvInstruction e:
                {
                    var env = (state.Config.Env ?? []).ToList();
                    foreach (var kv in e.Variables)
                    {
                        int i = env.FindIndex(x => x.StartsWith(kv.Key + "=", StringComparison.Ordinal));
                        if (i >= 0) env[i] = $"{kv.Key}={kv.Value}"; else env.Add($"{kv.Key}={kv.Value}");
                    }
                    state.Config = state.Config with { Env = env };
                    createdBy = "ENV " + string.Join(' ', e.Variables.Select(kv => $"{kv.Key}={kv.Value}"));
                    break;
                }
                case ArgInstruction a:
                {
                    var parts = new List<string>();
                    foreach (var def in a.Args)
                    {
                        _usedArgs.Add(def.Name);
                        string? value = _req.BuildArgs.TryGetValue(def.Name, out var given) ? given
                            : def.DefaultValue ?? (_globals.TryGetValue(def.Name, out var g) ? g
                            : PlatformArgs.TryGetValue(def.Name, out var pv) ? pv : null);
                        if (value is not null) state.Args.Set(def.Name, value);
                        parts.Add(value is null ? def.Name : $"{def.Name}={value}");
                    }
                    createdBy = "ARG " + string.Join(' ', parts);
                    // ARG changes no image field, but what it sets reaches RUN's environment: chain it into the key.
                    var argInfo = Step(stage, index, total, Shown(raw));
                    state.Key = new CacheKey("arg").Add("parent", state.Key).Add("args", parts).Finish();
                    Progress.Cached(argInfo);
                    Progress.Result(argInfo, state.Key);
                    return;
                }
                case LabelInstruction l:
                {
                    var labels = state.Config.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(state.Config.Labels);
                    foreach (var kv in l.Labels) labels[kv.Key] = kv.Value;
                    state.Config = state.Config with { Labels = labels };
                    createdBy = "LABEL " + string.Join(' ', l.Labels.Select(kv => $"{kv.Key}={kv.Value}"));
                    break;
                }
                case ExposeInstruction x:
                {
                    var ports = state.Config.ExposedPorts is null ? new Dictionary<string, EmptyObject>() : new Dictionary<string, EmptyObject>(state.Config.ExposedPorts);
                    var added = new List<string>();
                    foreach (var p in x.Ports)
                    {
                        var port = p.Contains('/') ? p.ToLowerInvariant() : p + "/tcp";
                        ports[port] = EmptyObject.Instance;
                        added.Add(port);
                    }
                    state.Config = state.Config with { ExposedPorts = ports };
                    createdBy = "EXPOSE map[" + string.Join(' ', added.Order(StringComparer.Ordinal).Select(p => p + ":{}")) + "]";
                    break;
                }
                case UserInstruction u:
                    state.Config = state.Config with { User = u.User };
                    createdBy = $"USER {u.User}";
                    break;
                case VolumeInstruction v:
                {
                    var vols = state.Config.Volumes is null ? new Dictionary<string, EmptyObject>() : new Dictionary<string, EmptyObject>(state.Config.Volumes);
                    foreach (var p in v.Volumes)
                    {
                        if (p.Length == 0) throw v.Location.Error("VOLUME specified can not be an empty string");
                        vols[p] = EmptyObject.Instance;
                    }
                    state.Config = state.Config with { Volumes = vols };
                    createdBy = "VOLUME [" + string.Join(' ', v.Volumes) + "]";
                    break;
                }
                case StopSignalInstruction s:
                    if (!ValidSignal(s.Signal)) throw s.Location.Error($"STOPSIGNAL: invalid signal: {s.Signal}");
                    state.Config = state.Config with { StopSignal = s.Signal };
                    createdBy = $"STOPSIGNAL {s.Signal}";
                    break;
                case HealthcheckInstruction h:
                {
                    var old = state.Config.Healthcheck;
                    state.Config = state.Config with
                    {
                        Healthcheck = new Oci.HealthConfig
                        {
                            Test = h.Health.Test,
                            Interval = h.Health.Interval.Ticks * 100,
                            Timeout = h.Health.Timeout.Ticks * 100,
                            StartPeriod = h.Health.StartPeriod.Ticks * 100,
                            StartInterval = h.Health.StartInterval.Ticks * 100,
                            Retries = h.Health.Retries,
                        },
                    };
                    _ = old;
                    createdBy = "HEALTHCHECK " + GoList(h.Health.Test);
                    break;
                }
                case ShellInstruction sh:
                    state.Shell = sh.Shell;
                    state.Config = state.Config with { Shell = sh.Shell };
                    createdBy = "SHELL [" + string.Join(' ', sh.Shell) + "]";
                    break;
                case CmdInstruction cmd:
                {
                    var args = CommandArgs(cmd.Command, state);
                    state.Config = state.Config with { Cmd = args };
                    state.CmdSet = true;
                    createdBy = "CMD " + GoList(args);
                    break;
                }
                case EntrypointInstruction ep:
                {
                    var args = CommandArgs(ep.Command, state);
                    state.Config = state.Config with { Entrypoint = args.Count == 0 ? null : args };
                    // BuildKit: ENTRYPOINT resets a CMD inherited from the base, not one set in this stage.
                    if (!state.CmdSet) state.Config = state.Config with { Cmd = null };
                    createdBy = "ENTRYPOINT " + GoList(args);
                    break;
                }
                case OnbuildInstruction o:
                    state.Config = state.Config with { OnBuild = [.. state.Config.OnBuild ?? [], o.Expression] };
                    createdBy = "ONBUILD " + o.Expression;
                    break;
                case MaintainerInstruction m:
                    state.Author = m.Maintainer;
                    createdBy = "MAINTAINER " + m.Maintainer;
                    break;
                default:
                    throw ins.Location.Error($"{ins.Keyword} is not supported by berth build yet");
            }
            var mInfo = Step(stage, index, total, Shown(raw));
            Metadata(mInfo, state, createdBy);
        }

        /// <summary>An instruction as progress shows it: as written (BuildKit's vertex names), flags such as
        /// <c>--mount=…</c> included, not as the image history records it (<c>EXPOSE map[8080/tcp:{}]</c>).
        /// A heredoc shows its first line.</summary>
        internal static string Shown(Instruction raw) => raw.Original.Split('\n', 2)[0].Trim();

        private void Metadata(Progress.BuildStepInfo info, StageState state, string createdBy)
        {
            state.History.Add(new History { Created = Now, CreatedBy = createdBy, Comment = "buildkit.dockerfile.v0", EmptyLayer = true });
            state.Key = new CacheKey("metadata").Add("parent", state.Key).Add("instruction", createdBy).Finish();
            Progress.Cached(info);
            Progress.Result(info, state.Key);
        }

        private static IReadOnlyList<string> CommandArgs(CommandLine command, StageState state) =>
            command.PrependShell ? [.. state.Shell, string.Join(' ', command.Args)] : command.Args;

        /// <summary>Go's <c>%q</c> of a string slice, as BuildKit writes CMD and ENTRYPOINT history.</summary>
        internal static string GoList(IEnumerable<string> items) => "[" + string.Join(' ', items.Select(GoQuote)) + "]";

        internal static string GoQuote(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (var ch in s)
            {
                sb.Append(ch switch
                {
                    '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\t' => "\\t", '\r' => "\\r",
                    _ => ch.ToString(),
                });
            }
            return sb.Append('"').ToString();
        }

        private static bool ValidSignal(string s) =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n is > 0 and < 65
                : s.ToUpperInvariant().TrimStart() is var u && (u.StartsWith("SIG", StringComparison.Ordinal) ? u[3..] : u) is
                    "HUP" or "INT" or "QUIT" or "ILL" or "TRAP" or "ABRT" or "IOT" or "BUS" or "FPE" or "KILL" or "USR1" or "SEGV" or "USR2"
                    or "PIPE" or "ALRM" or "TERM" or "STKFLT" or "CHLD" or "CONT" or "STOP" or "TSTP" or "TTIN" or "TTOU" or "URG" or "XCPU"
                    or "XFSZ" or "VTALRM" or "PROF" or "WINCH" or "IO" or "POLL" or "PWR" or "SYS" || u.StartsWith("SIGRTMIN", StringComparison.Ordinal) || u.StartsWith("SIGRTMAX", StringComparison.Ordinal);

        /// <summary>An image path from WORKDIR or a COPY destination: relative ones are under the current WORKDIR.</summary>
        internal static string ResolvePath(string? workdir, string path)
        {
            var full = path.StartsWith('/') ? path : (workdir is { Length: > 0 } w ? w : "/") + "/" + path;
            var parts = new List<string>();
            foreach (var p in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (p == ".") continue;
                if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
                parts.Add(p);
            }
            return "/" + string.Join('/', parts);
        }
    }
}
