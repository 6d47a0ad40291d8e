using System.Diagnostics;
using Berth.Build.Cache;
using Berth.Build.Progress;
using Berth.Build.Steps;
using Berth.Dockerfile;
using Berth.Dockerfile.Ignore;
using Berth.Dockerfile.Instructions;
using Berth.Dockerfile.Shell;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage;
using Berth.Storage.Metadata;

namespace Berth.Build;

/// <summary>
/// Builds a Dockerfile into an image in the store (BuildKit's <c>dockerfile2llb</c> and solver, much reduced):
/// the stages the target needs are built, independent ones in parallel; every instruction is expanded with the
/// ARG/ENV in effect; metadata instructions change the config; COPY/ADD/RUN/WORKDIR make one layer each, found
/// again by a cache key of (parent key, normalised instruction, build args it uses, content of copied files).
/// The image and its tags become visible in one commit at the end, so a failed build tags nothing; the layers of
/// the steps that finished stay in the cache.
/// </summary>
public sealed partial class Builder(Store store, IImageSource images, IRunStepExecutor? executor, IBuildProgress progress, TimeProvider time)
{
    private static readonly string[] ProxyArgs =
        ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"];

    private static readonly Dictionary<string, string> PlatformArgs = new(StringComparer.Ordinal)
    {
        ["TARGETPLATFORM"] = "linux/amd64", ["TARGETOS"] = "linux", ["TARGETARCH"] = "amd64", ["TARGETVARIANT"] = "",
        ["BUILDPLATFORM"] = "linux/amd64", ["BUILDOS"] = "linux", ["BUILDARCH"] = "amd64", ["BUILDVARIANT"] = "",
    };

    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private int _stepNumber;
    private int _steps;
    private int _cached;

    public async Task<BuildResult> BuildAsync(BuildRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var gate = store.LockShared(ct);
        var build = new BuildRun(this, request, time.GetUtcNow());
        try
        {
            return await build.RunAsync(ct);
        }
        catch (DockerfileParseException e)
        {
            throw new BerthException(ErrorKind.InvalidArgument, $"failed to solve: dockerfile parse error: {e.Message}", e);
        }
        finally
        {
            build.Digests.Flush();
            build.Files.Dispose();
        }
    }

    /// <summary>One build: the parsed Dockerfile, the context, and a task per stage.</summary>
    private sealed partial class BuildRun
    {
        private readonly Builder _b;
        private readonly BuildRequest _req;
        private readonly Dictionary<int, Task<StageState>> _stageTasks = [];
        private readonly HashSet<string> _usedArgs = new(StringComparer.Ordinal);
        private DockerfileStages _file = null!;
        private VariableScope _globals = null!;
        private bool _anyNoCache;

        public BuildRun(Builder b, BuildRequest req, DateTimeOffset now)
        {
            _b = b;
            _req = req;
            Now = req.SourceDateEpoch ?? now;
            DockerIgnore ignore;
            try
            {
                ignore = req.IgnoreText is null ? DockerIgnore.Empty : DockerIgnore.Parse(req.IgnoreText);
            }
            catch (InvalidIgnorePatternException e)
            {
                throw new BerthException(ErrorKind.InvalidArgument, $".dockerignore: {e.Message}", e);
            }
            Digests = new FileDigests(b.Store);
            Files = new ContextFiles(Digests, req.ContextDirectory, ignore);
        }

        public FileDigests Digests { get; }
        public ContextFiles Files { get; }
        public DateTimeOffset Now { get; }
        private Store Store => _b.Store;
        private IBuildProgress Progress => _b.Progress;

        public async Task<BuildResult> RunAsync(CancellationToken ct)
        {
            _file = DockerfileStages.Parse(_req.DockerfileText, _req.DockerfileName);
            _globals = _file.GlobalScope(_req.BuildArgs);
            foreach (var a in _file.GlobalArgs.SelectMany(g => g.Args)) _usedArgs.Add(a.Name);
            var required = _file.RequiredStages(_req.Target, _globals);
            foreach (var name in _req.NoCacheStages.Where(n => !_file.Stages.Any(s => s.DisplayName == n)).Order(StringComparer.Ordinal))
                Progress.Message($"[Warning] --no-cache-filter: no stage named {name}");
            _anyNoCache = _req.NoCache || required.Any(s => _req.NoCacheStages.Contains(s.DisplayName));
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            foreach (var stage in required)
            {
                var deps = _file.Dependencies(stage, _globals).Select(d => d.Stage.Index).Distinct().ToList();
                _stageTasks[stage.Index] = Task.Run(async () =>
                {
                    try
                    {
                        foreach (var d in deps) await _stageTasks[d];
                        return await BuildStageAsync(stage, cts.Token);
                    }
                    catch
                    {
                        await cts.CancelAsync();
                        throw;
                    }
                }, cts.Token);
            }
            StageState final;
            try
            {
                final = await _stageTasks[required[^1].Index];
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Another stage failed and cancelled this one: report that failure, not the cancellation.
                var failed = _stageTasks.Values.FirstOrDefault(t => t.IsFaulted);
                if (failed?.Exception?.InnerException is { } inner) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
                throw;
            }
            var unused = _req.BuildArgs.Keys.Where(k => !_usedArgs.Contains(k) && !ProxyArgs.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (unused.Count > 0) Progress.Message($"[Warning] One or more build-args [{string.Join(' ', unused)}] were not consumed");
            return Commit(final, ct);
        }

        private BuildResult Commit(StageState state, CancellationToken ct)
        {
            var config = state.Config;
            if (_req.Labels.Count > 0)
            {
                var labels = config.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(config.Labels);
                foreach (var (k, v) in _req.Labels) labels[k] = v;
                config = config with { Labels = labels };
            }
            var key = new CacheKey("image").Add("stage", state.Key)
                .Add("labels", _req.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)).Finish();
            var tags = _req.Tags.Select(t => ImageReference.Parse(t).ToString()).ToList();
            // A stage that ignored the cache made new layers: the image is new too, whatever its key says.
            if (!_anyNoCache && Store.WithBuildMetadata(m => m.GetBuildResult(key) is { } id && m.GetImage(id) is not null ? id : (Digest?)null) is { } reused)
            {
                Store.WithBuildMetadata(m =>
                {
                    var stale = tags.Where(t => m.GetTag(t) != reused).ToList();
                    if (stale.Count > 0) m.Write(_ => { foreach (var t in stale) m.SetTag(t, reused); return 0; });
                    return 0;
                });
                return new BuildResult(reused, _b._steps, _b._cached, ImageReused: true);
            }
            var image = new ImageConfig
            {
                Created = Now,
                Author = state.Author,
                Architecture = "amd64",
                Os = "linux",
                Config = config,
                RootFs = new RootFs { DiffIds = [.. state.Layers.Select(l => l.DiffId)] },
                History = state.History,
            };
            var configBytes = OciJson.Serialize(image);
            var manifestBytes = OciJson.Serialize(new Manifest
            {
                MediaType = MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Sha256(configBytes), Size = configBytes.Length },
                Layers = [.. state.Layers.Select(l => new Descriptor { MediaType = l.MediaType, Digest = l.BlobDigest, Size = l.BlobSize })],
            });
            var record = Store.WithBuildMetadata(_ => Store.CommitImage(new ImageCommit
            {
                ManifestBytes = manifestBytes,
                ManifestMediaType = MediaTypes.OciManifest,
                ConfigBytes = configBytes,
                DiffIds = image.RootFs.DiffIds,
                Layers = [.. state.Layers.Select(l => new PendingLayer(null, null, l.BlobDigest, l.BlobSize, l.MediaType, l.DiffId, 0, 0))],
                Created = Now,
                Tags = tags,
            }, ct));
            Store.WithBuildMetadata(m => m.Write(_ => { m.PutBuildResult(key, record.Id); return 0; }));
            return new BuildResult(record.Id, _b._steps, _b._cached, ImageReused: false);
        }

        private async Task<StageState> BuildStageAsync(Stage stage, CancellationToken ct)
        {
            var total = stage.Instructions.Count + 1;
            var from = (FromInstruction)stage.From.Expand(new Expander(_globals, _file.Source.EscapeToken));
            if (from.Platform is { } p && p is not ("linux/amd64" or "linux/x86_64" or "amd64"))
                throw from.Location.Error($"FROM --platform={p}: only linux/amd64 is supported");
            var info = Step(stage, 1, total, $"FROM {from.BaseName}" + (stage.Name is null ? "" : $" AS {stage.Name}"));
            var state = await BaseStateAsync(stage, from, ct);
            state.NoCache = _req.NoCache || _req.NoCacheStages.Contains(stage.DisplayName);
            Progress.Cached(info);
            Progress.Result(info, state.Key);
            var instructions = new List<Instruction>();
            // Compat: a base image's ONBUILD triggers run first, then the image no longer carries them (docker).
            if (state.Config.OnBuild is { Count: > 0 } triggers)
            {
                foreach (var t in triggers)
                    instructions.AddRange(DockerfileStages.Parse("FROM scratch\n" + t, _req.DockerfileName + " (ONBUILD)").Stages[0].Instructions);
                state.Config = state.Config with { OnBuild = null };
            }
            instructions.AddRange(stage.Instructions);
            for (int i = 0; i < instructions.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                await StepAsync(stage, state, instructions[i], i + 2, instructions.Count + 1, ct);
            }
            return state;
        }

        private async Task<StageState> BaseStateAsync(Stage stage, FromInstruction from, CancellationToken ct)
        {
            var baseName = from.BaseName.ToLowerInvariant();
            var baseStage = _file.Stages.Take(stage.Index).LastOrDefault(s => s.Name == baseName);
            var epoch = _req.SourceDateEpoch?.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (baseStage is not null)
            {
                var parent = await _stageTasks[baseStage.Index];
                var s = parent.Clone();
                return s;
            }
            if (baseName == "scratch")
                return new StageState { Key = CacheKey.Of("scratch", ("epoch", epoch)), Config = new ContainerConfig { Env = [DefaultPath] } };
            ImageRecord? record = null;
            if (_req.Pull || !_b.Images.TryResolve(from.BaseName, out record) || record is null)
                record = await _b.Images.PullAsync(from.BaseName, ct) ?? (_b.Images.TryResolve(from.BaseName, out var byId) ? byId : null)
                    ?? throw BerthException.NotFound($"No such image: {from.BaseName}");
            var config = _b.Images.ReadConfig(record);
            var cc = config.Config ?? new ContainerConfig();
            // BuildKit gives every image a PATH when its base has none.
            if (!(cc.Env ?? []).Any(e => e.StartsWith("PATH=", StringComparison.Ordinal))) cc = cc with { Env = [DefaultPath, .. cc.Env ?? []] };
            return new StageState
            {
                Key = CacheKey.Of("image", ("id", record.Id.ToString()), ("epoch", epoch)),
                Config = cc,
                Author = config.Author,
                History = [.. config.History ?? []],
                Layers = [.. record.Layers.Select(l => new LayerRef(l.BlobDigest, l.BlobSize, l.MediaType, l.DiffId, l.ChainId))],
            };
        }

        private BuildStepInfo Step(Stage stage, int index, int total, string text)
        {
            var info = new BuildStepInfo(Interlocked.Increment(ref _b._stepNumber), $"[{(stage.Name is null ? "" : stage.Name + " ")}{index}/{total}] {text}");
            Progress.Started(info);
            return info;
        }

        private ImageTree TreeOf(StageState state) =>
            new([.. Enumerable.Reverse(state.Layers).Select(l => Store.Snapshots.PathOf(l.ChainId))]);

        private long FixedTimeNs => (_req.SourceDateEpoch?.ToUnixTimeSeconds() ?? 0) * 1_000_000_000;

        /// <summary>Runs a step that makes a layer: reuses the cached layer for <paramref name="key"/>, or calls
        /// <paramref name="produce"/> to fill a fresh directory and commits the result with its cache record.</summary>
        private async Task LayerStepAsync(BuildStepInfo info, StageState state, string key, string createdBy, string lineage, string summary,
            Func<string, Task<bool>> produce, CancellationToken ct)
        {
            Interlocked.Increment(ref _b._steps);
            summary = WithArgs(state, summary);
            BuildCacheRecord? record = state.NoCache ? null : Store.FindBuildCache(key);
            if (record is not null)
            {
                Interlocked.Increment(ref _b._cached);
                Progress.Cached(info);
            }
            else
            {
                Progress.Running(info, state.NoCache ? (_req.NoCache ? "--no-cache" : "--no-cache-filter") : Why(lineage, summary));
                var sw = Stopwatch.StartNew();
                var dir = Store.BeginLayerDirectory();
                PendingLayer? layer = null;
                try
                {
                    await produce(dir.Path);
                    layer = Store.SealLayerDirectory(dir, new Archive.WriteOptions { OverlayUpper = true, SourceDateEpoch = _req.SourceDateEpoch }, ct);
                    record = Store.CommitBuildLayer(layer, state.TopChain, key, createdBy, Now, ct);
                    layer = null;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Progress.Failed(info, e.Message);
                    throw;
                }
                catch (OperationCanceledException)
                {
                    Progress.Canceled(info);
                    throw;
                }
                finally
                {
                    layer?.Dispose();
                    dir.Dispose();
                }
                Store.WithBuildMetadata(m => m.Write(_ => { m.PutBuildLineage(lineage, summary); return 0; }));
                Progress.Done(info, sw.Elapsed);
            }
            state.Layers.Add(new LayerRef(record.BlobDigest, record.BlobSize, record.MediaType, record.DiffId, record.ChainId));
            state.History.Add(new History { Created = _req.SourceDateEpoch ?? record.Created, CreatedBy = createdBy, Comment = "buildkit.dockerfile.v0" });
            state.Key = key;
            Progress.Result(info, key);
        }

        /// <summary>The summary's first line (the parent's key) with the ARG values in effect, so that
        /// <see cref="Why"/> can name the build argument that changed the parent.</summary>
        private static string WithArgs(StageState state, string summary)
        {
            var args = string.Concat(state.Args.Values.OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => $"\u0001{a.Key}={a.Value.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\u0001", "", StringComparison.Ordinal)}"));
            int nl = summary.IndexOf('\n');
            return nl < 0 ? summary + args : summary[..nl] + args + summary[nl..];
        }

        /// <summary>Why a step ran, from what the same step (same Dockerfile line of the same context) used last time.</summary>
        private string Why(string lineage, string summary)
        {
            var last = Store.WithBuildMetadata(m => m.GetBuildLineage(lineage));
            if (last is null) return "no cache record";
            var before = last.Split('\n');
            var now = summary.Split('\n');
            var (beforeKey, beforeArgs) = ParentOf(before[0]);
            var (nowKey, nowArgs) = ParentOf(now[0]);
            if (beforeKey != nowKey)
            {
                // The parent's key folds in the stage's ARG values: name those that changed, as changed files are named.
                var args = nowArgs.Keys.Union(beforeArgs.Keys).Order(StringComparer.Ordinal)
                    .Where(n => beforeArgs.GetValueOrDefault(n) != nowArgs.GetValueOrDefault(n))
                    .Select(n => $"ARG {n} changed: {Shown(beforeArgs.GetValueOrDefault(n))} → {Shown(nowArgs.GetValueOrDefault(n))}").ToList();
                return args.Count > 0 ? string.Join("; ", args) : "parent changed";
            }
            if (before.Length < 2 || before[1] != now[1]) return "instruction changed";
            var old = before.Skip(2).Select(Split).ToDictionary(p => p.Path, p => p.Value, StringComparer.Ordinal);
            var cur = now.Skip(2).Select(Split).ToDictionary(p => p.Path, p => p.Value, StringComparer.Ordinal);
            var changed = cur.Where(c => !old.TryGetValue(c.Key, out var o) || o != c.Value).Select(c => c.Key)
                .Concat(old.Keys.Where(k => !cur.ContainsKey(k))).Order(StringComparer.Ordinal).ToList();
            if (changed.Count == 0) return "cache record pruned";
            var shown = string.Join(", ", changed.Take(3)) + (changed.Count > 3 ? $" and {changed.Count - 3} more" : "");
            return $"{now[1].Split(' ')[0]}: {shown} changed";

            static string Shown(string? value) => value is null ? "(unset)" : value;

            static (string Key, Dictionary<string, string> Args) ParentOf(string line)
            {
                var parts = line.Split('\u0001');
                var args = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var a in parts.Skip(1))
                {
                    int eq = a.IndexOf('=');
                    if (eq > 0) args[a[..eq]] = a[(eq + 1)..];
                }
                return (parts[0], args);
            }

            static (string Path, string Value) Split(string line)
            {
                int i = line.IndexOf('\0');
                return i < 0 ? (line, "") : (line[..i], line[(i + 1)..]);
            }
        }

        private string Lineage(Stage stage, int index) =>
            CacheKey.Of("lineage", ("context", Files.Root), ("dockerfile", _req.DockerfileName), ("stage", stage.DisplayName),
                ("index", index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    internal Store Store => store;
    internal IImageSource Images => images;
    internal IRunStepExecutor? Executor => executor;
    internal IBuildProgress Progress => progress;
}
