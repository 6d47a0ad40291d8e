using System.IO.Pipes;
using System.Text;
using Berth.Build;
using Berth.Oci;
using Berth.Runtime;
using Berth.Runtime.Spec;

namespace Berth.Engine.Builds;

/// <summary>
/// Runs RUN steps as berth containers: a bundle whose root is an overlay of the parent's snapshots with the step's
/// fresh upper dir, Docker's default confinement, on the engine's default network (an endpoint on the bridge made
/// for the step, between the init's creation and the command's start, and released after it, as docker's classic
/// builder and BuildKit give RUN steps a network) unless the step asks for none or the host's, stdout and stderr
/// merged into one pipe read line by line. The container is deleted afterwards
/// whatever happens; the upper dir is what the step changed. If berth itself dies (SIGKILL, power loss) the
/// container runs on by itself; each bundle names its owner process so the next build can find and remove such
/// orphans (<see cref="RemoveOrphans"/>).
/// </summary>
public sealed class RuntimeRunStepExecutor(EngineOptions engine, Networks.NetworkService networks) : IRunStepExecutor
{
    private readonly ContainerRuntime _runtime = new(engine.RuntimeOptions);
    private readonly string storeRoot = engine.Root;

    public async Task<int> RunAsync(RunStep step, CancellationToken ct)
    {
        var bundle = Path.Combine(storeRoot, "builds", step.Id);
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        try
        {
            await File.WriteAllTextAsync(Path.Combine(bundle, OwnerFile), Self, ct);
            var lowers = step.LowerDirs.ToList();
            if (lowers.Count == 0)
            {
                // overlayfs needs at least one lower layer; FROM scratch gets an empty one.
                lowers.Add(Path.Combine(bundle, "empty"));
                Directory.CreateDirectory(lowers[0]);
            }
            var binds = new List<BindMount>();
            var tmpfs = new Dictionary<string, string>();
            foreach (var m in step.Mounts)
            {
                if (m.Source is null) tmpfs[m.Target] = "";
                else binds.Add(new BindMount { Source = m.Source, Destination = m.Target, ReadOnly = m.ReadOnly });
            }
            // Default: the engine's default network, itself none or host when configured so (the test suites' none).
            var mode = step.Network switch
            {
                Dockerfile.Instructions.RunNetwork.Host => "host",
                Dockerfile.Instructions.RunNetwork.None => "none",
                _ => engine.DefaultNetwork,
            };
            // Name resolution for RUN --network=host: the host's resolver, as BuildKit gives it; on a bridge the
            // host's without its loopback servers (the step's own loopback would answer), as for containers.
            if (mode == "host" && File.Exists("/etc/resolv.conf"))
                binds.Add(new BindMount { Source = "/etc/resolv.conf", Destination = "/etc/resolv.conf", ReadOnly = true });
            else if (mode != "none")
            {
                var resolv = Path.Combine(bundle, "resolv.conf");
                await File.WriteAllTextAsync(resolv, Berth.Network.ResolvConf.ForBridge(File.Exists("/etc/resolv.conf") ? await File.ReadAllTextAsync("/etc/resolv.conf", ct) : ""), ct);
                binds.Add(new BindMount { Source = resolv, Destination = "/etc/resolv.conf", ReadOnly = true });
            }
            var options = new RunOptions
            {
                Command = step.Args,
                Entrypoint = [],
                Env = step.Env,
                WorkingDir = step.WorkingDir,
                User = step.User,
                Hostname = "buildkitsandbox",
                RootfsPath = "rootfs",
                RootMount = new Mount
                {
                    Destination = "/",
                    Type = "overlay",
                    Source = "overlay",
                    Options = Runtime.Rootfs.OverlayOptions.For(lowers, step.UpperDir, step.WorkDir),
                },
                Binds = binds,
                Tmpfs = tmpfs,
                Network = mode == "host" ? NetworkMode.Host : NetworkMode.None,
                CgroupParent = engine.CgroupParent,
            };
            var users = LoadUsers(lowers);
            var spec = SpecGenerator.Generate(step.Id, new ContainerConfig { Env = step.Env }, options, SpecHost.Detect(), users);
            await File.WriteAllBytesAsync(Path.Combine(bundle, "config.json"), RuntimeJson.Serialize(spec), ct);

            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            using var output = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
            Container container;
            try
            {
                container = _runtime.Create(step.Id, bundle, new CreateOptions
                {
                    Stdio = new ContainerStdio { Stdin = devNull, Stdout = output.ClientSafePipeHandle, Stderr = output.ClientSafePipeHandle },
                });
            }
            catch (ContainerExecException e)
            {
                step.Output(e.Message);
                return e.ExitCode;
            }
            output.DisposeLocalCopyOfClientHandle();
            using (container)
            {
                var pump = new Thread(() => Pump(output, step.Output)) { IsBackground = true, Name = "build-run-output" };
                pump.Start();
                try
                {
                    if (mode is not ("none" or "host"))
                        networks.Connect(step.Id, networks.Resolve(mode), $"/proc/{container.Pid}/ns/net", "eth0", defaultRoute: true);
                    container.Start();
                }
                catch (ContainerExecException e)
                {
                    step.Output(e.Message);
                    return e.ExitCode;
                }
                using var reg = ct.Register(() => { try { _runtime.Kill(step.Id, 9, all: true); } catch (Oci.Errors.BerthException) { } });
                var status = await container.WaitAsync(CancellationToken.None);
                pump.Join(TimeSpan.FromSeconds(5));
                ct.ThrowIfCancellationRequested();
                return status.ExitCode;
            }
        }
        finally
        {
            try { _runtime.Delete(step.Id, force: true); } catch (Oci.Errors.BerthException) { /* never created */ }
            // The step's endpoint (address, veth; the kernel deleted the veth with the namespace already).
            try { networks.Disconnect(step.Id); } catch (Oci.Errors.BerthException) { /* system check reports what is left */ }
            try { Directory.Delete(bundle, recursive: true); } catch (IOException) { /* rootfs still busy: debris for later */ }
        }
    }

    private const string OwnerFile = "berth-owner";

    /// <summary>This process as "pid starttime": a PID alone could be reused by another process.</summary>
    private static readonly string Self = $"{Environment.ProcessId} {StartTime(Environment.ProcessId)}";

    /// <summary>Kills and deletes the RUN containers whose berth process is gone (or that never recorded one), and
    /// their bundles. Their upper dirs are unfinished snapshots, which GC removes as debris.</summary>
    public int RemoveOrphans()
    {
        int removed = 0;
        foreach (var orphan in FindOrphans(engine))
        {
            try { orphan.Remove(); }
            catch (Exception e) when (e is Oci.Errors.BerthException or IOException) { continue; /* GC reports it */ }
            removed++;
        }
        return removed;
    }

    /// <summary>What a build killed during a RUN step leaves: the step's container (its processes run on, in their
    /// cgroup) and its bundle under <c>builds/</c>. A step belongs to a build whose process (PID and start time, in
    /// the bundle's owner file) is alive, or it is debris: removing it kills its processes and removes its cgroup,
    /// runtime state and bundle. Its mounts live in its own mount namespace and go with its last process.</summary>
    public static IEnumerable<Storage.Gc.Debris> FindOrphans(EngineOptions engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var runtime = new ContainerRuntime(engine.RuntimeOptions);
        var builds = Path.Combine(engine.Root, "builds");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in runtime.List())
        {
            if (!state.Id.StartsWith("berth-build-", StringComparison.Ordinal)) continue;
            var bundle = Path.Combine(builds, state.Id);
            // The state directory may serve several stores: only this store's steps are its business.
            if (state.Bundle != bundle) continue;
            seen.Add(state.Id);
            if (OwnerAlive(bundle)) continue;
            var id = state.Id;
            yield return new Storage.Gc.Debris($"build step {id} of an interrupted build ({state.Status}{(state.Pid > 0 ? $", pid {state.Pid}" : "")}, bundle {bundle})", () =>
            {
                try { runtime.Kill(id, 9, all: true); } catch (Oci.Errors.BerthException) { /* not running */ }
                try { runtime.Delete(id, force: true); } catch (Oci.Errors.BerthException e) when (e.Kind == Oci.Errors.ErrorKind.NotFound) { /* gone meanwhile */ }
                Archive.FileTree.Remove(bundle);
            });
        }
        foreach (var e in Archive.FileTree.List(builds))
        {
            if (e.Utf8Name is { } name && seen.Contains(name)) continue;
            if (e.IsDirectory && OwnerAlive(e.DisplayPath)) continue;
            yield return new Storage.Gc.Debris($"{e.DisplayPath}: bundle of an interrupted build step", () => Archive.FileTree.Remove(e));
        }
    }

    private static bool OwnerAlive(string bundle)
    {
        string? owner = null;
        try { owner = File.ReadAllText(Path.Combine(bundle, OwnerFile)); } catch (IOException) { /* no owner: orphan */ }
        return owner is not null && owner.Split(' ') is [var pid, var start] && int.TryParse(pid, out var p)
               && StartTime(p)?.ToString(System.Globalization.CultureInfo.InvariantCulture) == start;
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null for a dead or zombie PID.</summary>
    private static ulong? StartTime(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var close = text.LastIndexOf(')'); // comm may hold spaces and parentheses
        var fields = close < 0 ? [] : text[(close + 2)..].Split(' ');
        return fields.Length < 20 || fields[0] is "Z" or "X" ? null : ulong.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Pump(Stream output, Action<string> sink)
    {
        using var reader = new StreamReader(output, Encoding.UTF8);
        while (reader.ReadLine() is { } line) sink(line);
    }

    /// <summary>/etc/passwd and /etc/group as the overlay will show them: the topmost layer that has each wins,
    /// and a whiteout there means the file is gone.</summary>
    private static UserDatabase LoadUsers(IReadOnlyList<string> lowersTopFirst) =>
        new() { Passwd = ReadTop(lowersTopFirst, "etc/passwd"), Group = ReadTop(lowersTopFirst, "etc/group") };

    private static string? ReadTop(IReadOnlyList<string> lowersTopFirst, string relative)
    {
        foreach (var layer in lowersTopFirst)
        {
            var path = Path.Combine(layer, relative);
            if (!Storage.Files.FileMetadata.TryLstat(path, out var st)) continue;
            return st.IsRegular ? File.ReadAllText(path) : null;
        }
        return null;
    }
}
