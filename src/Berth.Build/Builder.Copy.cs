using System.Globalization;
using System.Text;
using Berth.Archive;
using Berth.Build.Cache;
using Berth.Build.Progress;
using Berth.Build.Steps;
using Berth.Dockerfile.Instructions;
using Berth.Oci.Errors;

namespace Berth.Build;

public sealed partial class Builder
{
    private sealed partial class BuildRun
    {
        private static string Describe(CopyInstruction c) => Describe(CopySpec.Of(c));
        private static string Describe(AddInstruction a) => Describe(CopySpec.Of(a));

        private static string Describe(CopySpec c)
        {
            var sb = new StringBuilder(c.IsAdd ? "ADD" : "COPY");
            if (c.From is not null) sb.Append(" --from=").Append(c.From);
            if (c.Chown is not null) sb.Append(" --chown=").Append(c.Chown);
            if (c.Chmod is not null) sb.Append(" --chmod=").Append(c.Chmod);
            if (c.Checksum is not null) sb.Append(" --checksum=").Append(c.Checksum);
            if (c.Link) sb.Append(" --link");
            if (c.Parents) sb.Append(" --parents");
            foreach (var e in c.Excludes) sb.Append(" --exclude=").Append(e);
            foreach (var s in c.Sources) sb.Append(' ').Append(s);
            foreach (var h in c.Heredocs) sb.Append(" <<").Append(h.Path);
            return sb.Append(' ').Append(c.Destination).ToString();
        }

        private sealed record Planned(ContextEntry Entry, string Target, bool Extract);

        private async Task CopyAsync(BuildStepInfo info, StageState state, CopySpec c, string createdBy, string lineage, CancellationToken ct)
        {
            // Where the files come from: the context, an earlier stage, or an image.
            ISourceFiles source = Files;
            string sourceKey = "context";
            if (c.From is { } from)
            {
                var stage = _file.FindStage(from);
                StageState fromState;
                if (stage is not null && _stageTasks.TryGetValue(stage.Index, out var task))
                {
                    fromState = await task;
                }
                else
                {
                    if ((!_b.Images.TryResolve(from, out var record) || record is null) && (record = await _b.Images.PullAsync(from, ct)) is null)
                        throw BerthException.NotFound($"{(c.IsAdd ? "ADD" : "COPY")} --from={from}: no such stage or image in the local store");
                    fromState = new StageState
                    {
                        Key = "image:" + record.Id, Config = new Oci.ContainerConfig(),
                        Layers = [.. record.Layers.Select(l => new LayerRef(l.BlobDigest, l.BlobSize, l.MediaType, l.DiffId, l.ChainId))],
                    };
                }
                // Keyed by the content of the files copied (each entry carries its digest), not by the stage's key:
                // a stage that ran again and made the same files does not bust this step (BuildKit's contenthash).
                source = new ImageTreeFiles(TreeOf(fromState), Digests);
                sourceKey = "content";
            }

            var tree = TreeOf(state);
            var excludes = c.Excludes.Count > 0 ? new IgnoreRules(c.Excludes) : null;
            uint? chmod = null;
            if (c.Chmod is { } m)
            {
                try { chmod = Convert.ToUInt32(m, 8); }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
                {
                    throw BerthException.Invalid($"invalid chmod parameter: {m} (an octal mode is expected)");
                }
                if (chmod > 0xFFF) throw BerthException.Invalid($"invalid chmod parameter: {m}");
            }
            var owner = c.Chown is { Length: > 0 } chown ? Owners.Resolve(chown, tree) : (0u, 0u);

            var destRaw = c.Destination;
            var dest = ResolvePath(state.Config.WorkingDir, destRaw);
            // The destination is resolved inside the image, its last component too, as docker and BuildKit do: COPY to
            // /lnk/ where /lnk -> /a writes /a/…, and /lnk stays a symlink. --link copies onto an empty tree.
            if (!c.Link) dest = tree.Resolve(dest, followFinal: true);
            bool destIsDir = destRaw.EndsWith('/') || destRaw is "." or ".." || destRaw.EndsWith("/.", StringComparison.Ordinal);

            var matches = new List<string>();
            var urls = new List<string>();
            bool anyGlob = false;
            foreach (var s in c.Sources)
            {
                if (RemoteFile.IsUrl(s))
                {
                    if (!c.IsAdd) throw BerthException.Invalid($"COPY {s}: source can't be a URL for COPY (use ADD)");
                    urls.Add(s);
                    continue;
                }
                var rel = CleanRelative(s);
                anyGlob |= Globs.HasMeta(rel);
                var found = rel.Length == 0 ? [""] : source.Glob(rel);
                if (found.Count == 0)
                {
                    // Compat: docker's legacy builder says when a source is there but .dockerignore hides it.
                    if (c.From is null && Files.IsExcludedByIgnore(rel))
                        throw BerthException.NotFound($"failed to compute cache key: \"/{rel}\": excluded by .dockerignore");
                    throw BerthException.NotFound($"failed to compute cache key: failed to calculate checksum of ref: \"/{rel}\": not found");
                }
                matches.AddRange(found);
            }
            if (matches.Count + urls.Count + c.Heredocs.Count > 1 || anyGlob) destIsDir = true;
            string? checksum = null;
            if (c.Checksum is { } sum)
            {
                if (urls.Count != 1 || matches.Count > 0) throw BerthException.Invalid("ADD --checksum: only for a single HTTP(S) source");
                checksum = RemoteFile.ParseChecksum(sum);
            }

            // Plan every file: what lands where. The key covers exactly this plan's inputs.
            var plan = new List<Planned>();
            var key = new CacheKey(c.IsAdd ? "add" : "copy").Add("parent", state.Key).Add("instruction", Describe(c)).Add("source", sourceKey)
                .Add("dest", dest).Add("owner", $"{owner.Item1}:{owner.Item2}");
            var summary = new StringBuilder().Append(state.Key).Append('\n').Append(Describe(c));
            foreach (var m2 in matches)
            {
                var entries = source.Walk(m2, excludes, ct);
                // A match that leads nowhere inside the source (a symlink to a missing file, or to one outside the
                // context, which resolves inside it) is not found, as docker says.
                if (entries.Count == 0)
                    throw BerthException.NotFound($"failed to compute cache key: failed to calculate checksum of ref: \"/{m2}\": not found");
                var top = entries[0];
                var pivot = ParentsPath(m2);
                if (top.Stat.IsDirectory)
                {
                    var baseTarget = c.Parents ? Join(dest, pivot) : dest;
                    foreach (var e in entries)
                    {
                        var inside = e.RelativePath.Length > m2.Length ? e.RelativePath[(m2.Length == 0 ? 0 : m2.Length + 1)..] : "";
                        plan.Add(new Planned(e, inside.Length == 0 ? baseTarget : Join(baseTarget, inside), false));
                    }
                }
                else
                {
                    bool intoDir = destIsDir || tree.Find(dest) is { Stat.IsDirectory: true };
                    var target = c.Parents ? Join(dest, pivot) : intoDir ? Join(dest, Path.GetFileName(m2)) : dest;
                    bool extract = c.IsAdd && c.Unpack != false && top.Stat.IsRegular && IsArchive(source, top);
                    plan.Add(new Planned(top, extract ? dest : target, extract));
                }
            }
            foreach (var p in plan)
            {
                var line = ContextFiles.Describe(p.Entry, p.Target) + (p.Extract ? "\0extract" : "");
                key.Add("file", line);
                summary.Append('\n').Append(p.Entry.RelativePath).Append('\0').Append(line);
            }
            // A URL's content is fetched now and keyed by its digest (the URL itself is in the instruction); with
            // --checksum the digest is known, so a cached step fetches nothing.
            var remote = new List<(string Url, string Target, RemoteFile? File)>();
            var downloads = new List<Storage.Snapshots.PendingSnapshot>();
            try
            {
                foreach (var url in urls)
                {
                    var name = RemoteFile.FileNameOf(url);
                    bool intoDir = destIsDir || tree.Find(dest) is { Stat.IsDirectory: true };
                    if (intoDir && name is null) throw BerthException.Invalid($"ADD {url}: cannot determine a file name from the URL; name the destination file");
                    var target = intoDir ? Join(dest, name!) : dest;
                    RemoteFile? fetched = null;
                    if (checksum is null)
                    {
                        Progress.Output(info, $"fetching {url}");
                        // A pending snapshot directory holds the download: inside the store, removed with the step,
                        // and swept as debris if berth dies meanwhile.
                        var dl = Store.BeginLayerDirectory();
                        downloads.Add(dl);
                        fetched = await RemoteFile.FetchAsync(url, dl.Path, ct);
                    }
                    var digest = fetched?.Digest ?? checksum!;
                    var mode = chmod ?? 0x180 /* 0600, as BuildKit writes downloads */;
                    var line = $"{target}\0{url}\0{Convert.ToString((int)mode, 8)}\0{digest}";
                    key.Add("url", line);
                    summary.Append('\n').Append(url).Append('\0').Append(line);
                    remote.Add((url, target, fetched));
                }
            }
            catch
            {
                foreach (var d in downloads) d.Dispose();
                key.Dispose();
                throw;
            }
            foreach (var h in c.Heredocs)
            {
                key.Add("heredoc", h.Path + "\0" + h.Data);
                summary.Append('\n').Append("<<").Append(h.Path).Append('\0').Append(Oci.Digest.Sha256(Encoding.UTF8.GetBytes(h.Data)));
            }
            var stepKey = key.Finish();
            key.Dispose();

            try
            {
                await LayerStepAsync(info, state, stepKey, createdBy, lineage, summary.ToString(), async dir =>
                {
                    var files = new LayerFiles(dir, c.Link ? null : tree, FixedTimeNs);
                    if (destIsDir || plan.Count + remote.Count == 0) files.EnsureDirectories(dest, includeSelf: true, owner.Item1, owner.Item2);
                    foreach (var p in plan)
                    {
                        if (p.Extract)
                        {
                            files.EnsureDirectories(p.Target, includeSelf: true, owner.Item1, owner.Item2);
                            using var raw = source.OpenRead(p.Entry);
                            using var plain = Compressions.OpenDecompressed(raw, out _);
                            LayerApplier.Apply(plain, files.HostPath(p.Target), new ApplyOptions { Whiteouts = WhiteoutMode.Overlay }, ct);
                            continue;
                        }
                        bool isTopDir = p.Entry.Stat.IsDirectory && matches.Contains(p.Entry.RelativePath);
                        if (isTopDir)
                        {
                            // A source directory's contents are copied; the directory itself is the destination.
                            files.EnsureDirectories(p.Target, includeSelf: true, owner.Item1, owner.Item2);
                            continue;
                        }
                        files.Copy(p.Entry, source, p.Target, owner.Item1, owner.Item2, chmod);
                    }
                    foreach (var h in c.Heredocs)
                    {
                        var target = destIsDir ? Join(dest, h.Path) : dest;
                        files.WriteFile(target, Encoding.UTF8.GetBytes(h.Data), chmod ?? 0x1A4 /* 0644 */, owner.Item1, owner.Item2);
                    }
                    foreach (var (url, target, known) in remote)
                    {
                        var file = known;
                        if (file is null)
                        {
                            // Keyed by --checksum and not in the cache: fetch now, and hold the content to its word.
                            Progress.Output(info, $"fetching {url}");
                            var dl = Store.BeginLayerDirectory();
                            downloads.Add(dl);
                            file = await RemoteFile.FetchAsync(url, dl.Path, ct);
                            if (file.Digest != checksum)
                                throw BerthException.DataLoss($"ADD {url}: digest mismatch: --checksum is {checksum}, the content is {file.Digest}");
                        }
                        var mtime = file.LastModified is { } lm && _req.SourceDateEpoch is null ? lm.ToUnixTimeSeconds() * 1_000_000_000 : FixedTimeNs;
                        files.CopyFile(file.HostPath, target, chmod ?? 0x180, owner.Item1, owner.Item2, mtime);
                    }
                    files.Finish();
                    return true;
                }, ct);
            }
            finally
            {
                foreach (var d in downloads) d.Dispose();
            }
        }

        private static string Join(string a, string b) => b.Length == 0 ? a : a.TrimEnd('/') + "/" + b.TrimStart('/');

        /// <summary>The part of a source path <c>--parents</c> keeps: all of it, or what follows a <c>/./</c> pivot.</summary>
        private static string ParentsPath(string rel)
        {
            int pivot = rel.IndexOf("/./", StringComparison.Ordinal);
            return pivot < 0 ? rel : rel[(pivot + 3)..];
        }

        /// <summary>A source as a context-relative path: leading <c>/</c> and <c>./</c> dropped, <c>..</c> kept inside.</summary>
        private static string CleanRelative(string s)
        {
            var parts = new List<string>();
            var segments = s.Split('/');
            for (int i = 0; i < segments.Length; i++)
            {
                var p = segments[i];
                if (p.Length == 0) continue;
                if (p == ".")
                {
                    // Keep a "/./" pivot for --parents, except at the start.
                    if (parts.Count > 0 && i < segments.Length - 1) parts.Add(".");
                    continue;
                }
                if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
                parts.Add(p);
            }
            var joined = string.Join('/', parts);
            return joined;
        }

        private static bool IsArchive(ISourceFiles source, ContextEntry entry)
        {
            using var f = source.OpenRead(entry);
            var head = new byte[Math.Max(Compressions.MagicLength, 512)];
            int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (Compressions.Detect(head.AsSpan(0, n)) is not Compression.None) return true;
            return n >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8);
        }
    }
}
