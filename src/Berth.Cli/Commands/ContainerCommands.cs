using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Containers;
using Berth.Engine.Images;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Storage.Metadata;

namespace Berth.Cli.Commands;

/// <summary>Container commands, at the top level (<c>berth run</c>, <c>ps</c>…) and under <c>berth container</c>,
/// as docker has them. <c>run</c>, <c>create</c>, <c>start</c> and <c>exec</c> fail with 125 when berth fails,
/// and exit with the container's code (126/127 when its command cannot be run).</summary>
internal static class ContainerCommands
{
    /// <summary>Adds the commands to <paramref name="root"/> (replacing the image-only <c>inspect</c> with one that
    /// falls through from containers to images) and returns the arguments to parse: docker stops reading flags at
    /// the image of <c>run</c>/<c>create</c> and the container of <c>exec</c>, so a <c>--</c> goes after it and
    /// <c>berth run busybox ls -l</c> keeps its <c>-l</c>.</summary>
    public static string[] Register(RootCommand root, string[] args)
    {
        if (root.Subcommands.FirstOrDefault(c => c.Name == "inspect") is { } imageInspect) root.Subcommands.Remove(imageInspect);
        var container = new Command("container", "Manage containers");
        foreach (var c in Verbs(includeLs: true)) container.Subcommands.Add(c);
        container.Subcommands.Add(Prune());
        root.Subcommands.Add(container);
        foreach (var c in Verbs(includeLs: false)) root.Subcommands.Add(c);
        root.Subcommands.Add(Inspect("inspect", containersOnly: false));
        return StopFlagsAtPositional(root, args);
    }

    private static IEnumerable<Command> Verbs(bool includeLs)
    {
        yield return Run();
        yield return CreateCommand();
        yield return Start();
        yield return Stop();
        yield return Restart();
        yield return Kill();
        yield return Remove(includeLs ? "rm" : "rm", includeLs ? ["remove"] : []);
        yield return includeLs ? List("ls", "ps", "list") : List("ps");
        yield return Logs();
        yield return Wait();
        yield return Top();
        yield return Port();
        yield return Exec();
        yield return Attach();
        foreach (var extra in ContainerExtraCommands.Create()) yield return extra;
        if (includeLs) yield return Inspect("inspect", containersOnly: true);
    }

    // ---- argument pre-processing ----

    private static string[] StopFlagsAtPositional(RootCommand root, string[] args)
    {
        var i = 0;
        Command current = root;
        while (i < args.Length)
        {
            var a = args[i];
            if (a == "--") return args;
            if (a.StartsWith('-') && a.Length > 1)
            {
                i += TakesValue(current, root, a) ? 2 : 1;
                continue;
            }
            var sub = current.Subcommands.FirstOrDefault(c => c.Name == a || c.Aliases.Contains(a));
            if (sub is null) return args;
            current = sub;
            i++;
            if (current.Name is "run" or "create" or "exec")
            {
                while (i < args.Length)
                {
                    var t = args[i];
                    if (t == "--") return args;
                    if (t.StartsWith('-') && t.Length > 1)
                    {
                        i += TakesValue(current, root, t) ? 2 : 1;
                        continue;
                    }
                    // t is the image (or the container, for exec): everything after it belongs to the command.
                    if (i + 1 >= args.Length) return args;
                    return [.. args[..(i + 1)], "--", .. args[(i + 1)..]];
                }
                return args;
            }
        }
        return args;
    }

    private static bool TakesValue(Command command, RootCommand root, string token)
    {
        if (token.Contains('=')) return false;
        var options = command.Options.Concat(root.Options.Where(o => o.Recursive));
        var option = options.FirstOrDefault(o => o.Name == token || o.Aliases.Contains(token));
        if (option is null)
        {
            // A bundle of short flags (-it, -dit) takes a value only if its last letter does (-itu root).
            if (token.Length > 2 && token[1] != '-')
                option = options.FirstOrDefault(o => o.Aliases.Contains("-" + token[^1]) || o.Name == "-" + token[^1]);
            if (option is null) return false;
            if (token.Length > 2 && option.ValueType != typeof(bool)) return true;
            return false;
        }
        return option.ValueType != typeof(bool);
    }

    // ---- helpers ----

    private static ContainerService Containers(CliContext ctx) => ctx.Containers;

    private static Command With(Command c, Func<CliContext, ParseResult, CancellationToken, int> body)
    {
        CliContext.Bind(body)(c);
        return c;
    }

    /// <summary>For run/create/start/exec: berth's own failures exit 125, a command that cannot run 126/127.</summary>
    private static int RunGuard(CliContext ctx, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ContainerExecException e)
        {
            ctx.Err.WriteLine($"berth: {e.Message}");
            return e.ExitCode;
        }
        catch (BerthException e)
        {
            ctx.Err.WriteLine($"berth: {e.Message}");
            if (ctx.LogLevel == "debug") ctx.Err.WriteLine(e);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            ctx.Err.WriteLine($"berth: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    // ---- create / run ----

    private sealed class CreateFlags
    {
        public readonly Option<bool> Rm = new("--rm") { Description = "Automatically remove the container and its anonymous volumes when it exits" };
        public readonly Option<string?> Name = new("--name") { Description = "Assign a name to the container" };
        public readonly Option<string[]> Env = new("--env", "-e") { Description = "Set environment variables" };
        public readonly Option<string[]> EnvFile = new("--env-file") { Description = "Read in a file of environment variables" };
        public readonly Option<string?> Workdir = new("--workdir", "-w") { Description = "Working directory inside the container" };
        public readonly Option<string?> User = new("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
        public readonly Option<string?> Entrypoint = new("--entrypoint") { Description = "Overwrite the default ENTRYPOINT of the image" };
        public readonly Option<string[]> Volume = new("--volume", "-v") { Description = "Bind mount a volume (/host:/ctr[:ro], name:/ctr, /ctr)" };
        public readonly Option<string[]> Mount = new("--mount") { Description = "Attach a filesystem mount (type=bind|volume|tmpfs,source=…,target=…[,readonly])" };
        public readonly Option<string[]> Tmpfs = new("--tmpfs") { Description = "Mount a tmpfs directory (/path[:options])" };
        public readonly Option<bool> ReadOnly = new("--read-only") { Description = "Mount the container's root filesystem as read only" };
        public readonly Option<bool> Interactive = new("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        public readonly Option<bool> Tty = new("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        public readonly Option<string?> Hostname = new("--hostname", "-h") { Description = "Container host name" };
        public readonly Option<string[]> Label = new("--label") { Description = "Set meta data on a container (key=value)" };
        public readonly Option<string[]> Network = new("--network", "--net")
        {
            Description = "Connect a container to a network: bridge (the default), a user network, none (no network but loopback), host, "
                + "or container:NAME|ID; repeat for several networks, each as NAME or name=NAME[,alias=A][,ip=IP][,ip6=IP6][,mac-address=MAC]",
        };
        public readonly Option<string[]> NetworkAlias = new("--network-alias", "--net-alias") { Description = "Add network-scoped alias for the container" };
        public readonly Option<string?> Ip = new("--ip") { Description = "IPv4 address (e.g., 172.30.100.104)" };
        public readonly Option<string?> Ip6 = new("--ip6") { Description = "IPv6 address (e.g., 2001:db8::33)" };
        public readonly Option<string?> MacAddress = new("--mac-address") { Description = "Container MAC address (e.g., 92:d0:c6:0a:29:33)" };
        public readonly Option<long?> Memory = FlagParsers.Bytes("--memory", "Memory limit (e.g. 64m)", "-m");
        public readonly Option<long?> MemorySwap = FlagParsers.SwapBytes("--memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
        public readonly Option<long?> Cpus = FlagParsers.NanoCpus("--cpus", "Number of CPUs");
        public readonly Option<long?> CpuShares = new("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
        public readonly Option<long?> PidsLimit = new("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
        public readonly Option<string[]> CapAdd = new("--cap-add") { Description = "Add Linux capabilities" };
        public readonly Option<string[]> CapDrop = new("--cap-drop") { Description = "Drop Linux capabilities" };
        public readonly Option<bool> Privileged = new("--privileged") { Description = "Give extended privileges to this container" };
        public readonly Option<string[]> SecurityOpt = new("--security-opt") { Description = "Security options (no-new-privileges, seccomp=unconfined|PROFILE.json)" };
        public readonly Option<string?> StopSignal = new("--stop-signal") { Description = "Signal to stop the container" };
        public readonly Option<int?> StopTimeout = new("--stop-timeout") { Description = "Timeout (in seconds) to stop a container" };
        public readonly Option<bool> Init = new("--init") { Description = "Run an init inside the container that forwards signals and reaps processes" };
        public readonly Option<string?> Domainname = new("--domainname") { Description = "Container NIS domain name" };
        public readonly Option<string[]> Publish = new("--publish", "-p") { Description = "Publish a container's port(s) to the host ([IP:][HOSTPORT:]CONTAINERPORT[/PROTO])" };
        public readonly Option<bool> PublishAll = new("--publish-all", "-P") { Description = "Publish all exposed ports to random ports" };
        public readonly Option<string[]> AddHost = new("--add-host") { Description = "Add a custom host-to-IP mapping (host:ip)" };
        public readonly Option<string[]> Dns = new("--dns") { Description = "Set custom DNS servers" };
        public readonly Option<string[]> DnsSearch = new("--dns-search") { Description = "Set custom DNS search domains" };
        public readonly Option<string[]> DnsOption = new("--dns-option") { Description = "Set DNS options" };
        public readonly Option<string[]> Ulimit = new("--ulimit") { Description = "Ulimit options (name=soft[:hard], e.g. nofile=1024:2048)" };
        public readonly Option<long?> ShmSize = FlagParsers.Bytes("--shm-size", "Size of /dev/shm (e.g. 128m)");
        public readonly Option<string[]> Sysctl = new("--sysctl") { Description = "Sysctl options (namespaced kernel parameters: net.*, kernel.shm*, fs.mqueue.* …)" };
        public readonly Option<string[]> GroupAdd = new("--group-add") { Description = "Add additional groups to join" };
        public readonly Option<int?> OomScoreAdj = new("--oom-score-adj") { Description = "Tune host's OOM preferences (-1000 to 1000)" };
        public readonly Option<string?> CidFile = new("--cidfile") { Description = "Write the container ID to the file" };
        public readonly Option<string[]> LabelFile = new("--label-file") { Description = "Read in a line delimited file of labels" };
        public readonly Option<string?> Pid = new("--pid") { Description = "PID namespace to use: host, or a new one (default)" };
        public readonly Option<string?> Ipc = new("--ipc") { Description = "IPC mode to use: host, or private (default)" };
        public readonly Option<string?> Uts = new("--uts") { Description = "UTS namespace to use: host, or a new one (default)" };
        public readonly Option<string[]> Device = new("--device") { Description = "Add a host device to the container (/dev/host[:/dev/ctr][:rwm])" };
        public readonly Option<string?> CpusetCpus = new("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
        public readonly Option<string?> CpusetMems = new("--cpuset-mems") { Description = "MEMs in which to allow execution (0-3, 0,1)" };
        public readonly Option<long?> CpuPeriod = new("--cpu-period") { Description = "Limit CPU CFS (Completely Fair Scheduler) period" };
        public readonly Option<long?> CpuQuota = new("--cpu-quota") { Description = "Limit CPU CFS (Completely Fair Scheduler) quota" };
        public readonly Option<long?> MemoryReservation = FlagParsers.Bytes("--memory-reservation", "Memory soft limit");
        public readonly Option<long?> MemorySwappiness = new("--memory-swappiness") { Description = "Tune container memory swappiness (0 to 100)" };
        public readonly Option<bool> OomKillDisable = new("--oom-kill-disable") { Description = "Disable OOM Killer" };
        public readonly Option<string?> LogDriver = new("--log-driver") { Description = "Logging driver for the container: json-file (default) or none" };
        public readonly Option<string[]> LogOpt = new("--log-opt") { Description = "Log driver options (json-file: max-size=10m, max-file=3, compress=true)" };
        public readonly Option<string?> Restart = new("--restart") { Description = "Restart policy when the container exits: no, always, unless-stopped, on-failure[:max-retries]" };
        public readonly ExtraCreateFlags Health = new();
        public readonly BlockIOFlags BlockIO = new();
        public readonly Argument<string> Image = new("IMAGE");
        public readonly Option<string?> Pull = new("--pull") { Description = "Pull image before running (\"always\", \"missing\", \"never\")" };
        public readonly Option<string?> Platform = new("--platform") { Description = "Set platform if server is multi-platform capable" };
        public readonly Argument<string[]> Command = new("COMMAND") { Arity = ArgumentArity.ZeroOrMore, Description = "Command and arguments" };

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Rm, Name, Env, EnvFile, Workdir, User, Entrypoint, Volume, Mount, Tmpfs, ReadOnly, Interactive, Tty,
                         Hostname, Label, Network, Ip, Ip6, MacAddress, Memory, MemorySwap, Cpus, CpuShares, PidsLimit, CapAdd, CapDrop, Privileged, SecurityOpt,
                         StopSignal, StopTimeout, Init, Domainname, AddHost, Dns, DnsSearch, DnsOption, Ulimit, ShmSize, Sysctl, GroupAdd,
                         OomScoreAdj, CidFile, LabelFile, Restart, Pid, Ipc, Uts, Device, CpusetCpus, CpusetMems, CpuPeriod, CpuQuota,
                         MemoryReservation, MemorySwappiness, OomKillDisable, LogDriver, LogOpt, Pull, Platform, Publish, PublishAll, NetworkAlias })
                c.Options.Add(o);
            Health.AddTo(c);
            BlockIO.AddTo(c);
            c.Arguments.Add(Image);
            c.Arguments.Add(Command);
        }

        public ContainerRequest Request(ParseResult p)
        {
            var env = new List<string>();
            foreach (var file in p.GetValue(EnvFile) ?? [])
            {
                foreach (var raw in File.ReadAllLines(file))
                {
                    var line = raw.TrimStart();
                    if (line.Length == 0 || line.StartsWith('#')) continue;
                    AddEnv(env, line);
                }
            }
            foreach (var e in p.GetValue(Env) ?? []) AddEnv(env, e);
            var labels = new Dictionary<string, string>();
            var labelLines = (p.GetValue(LabelFile) ?? []).SelectMany(File.ReadAllLines)
                .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'));
            foreach (var l in labelLines.Concat(p.GetValue(Label) ?? []))
            {
                var eq = l.IndexOf('=');
                labels[eq < 0 ? l : l[..eq]] = eq < 0 ? "" : l[(eq + 1)..];
            }
            var tmpfs = new Dictionary<string, string>();
            foreach (var t in p.GetValue(Tmpfs) ?? [])
            {
                var colon = t.IndexOf(':');
                tmpfs[colon < 0 ? t : t[..colon]] = colon < 0 ? "" : t[(colon + 1)..];
            }
            var command = p.GetValue(Command) ?? [];
            var entrypoint = p.GetValue(Entrypoint);
            // As docker's daemon: 0 leaves a limit unset; a value no cgroup takes is refused in docker's words.
            var cpuShares = p.GetValue(CpuShares) switch
            {
                < 0 and var v => throw BerthException.Invalid($"invalid CPU shares ({v}): value must be a positive integer"),
                0 or null => (ulong?)null,
                var v => (ulong)v.Value,
            };
            var cpuPeriod = p.GetValue(CpuPeriod) switch
            {
                < 0 => throw BerthException.Invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)"),
                0 or null => (ulong?)null,
                var v => (ulong)v.Value,
            };
            // docker/cli: -1 (its default) leaves swappiness unset.
            var swappiness = p.GetValue(MemorySwappiness) switch
            {
                -1 or null => (ulong?)null,
                var v when v is < 0 or > 100 => throw BerthException.Invalid($"invalid value: {v}. Valid memory swappiness range is 0-100"),
                var v => (ulong)v.Value,
            };
            var sysctls = new Dictionary<string, string>();
            foreach (var kv in p.GetValue(Sysctl) ?? [])
            {
                var eq = kv.IndexOf('=');
                if (eq <= 0) throw BerthException.Invalid($"invalid argument \"{kv}\" for \"--sysctl\" flag: {kv} is not a valid key=value pair");
                sysctls[kv[..eq]] = kv[(eq + 1)..];
            }
            string Mode(Option<string?> option, string flag, params string[] allowed)
            {
                var value = p.GetValue(option) ?? "";
                if (value.Length > 0 && !allowed.Contains(value))
                    throw BerthException.Invalid($"invalid {flag} value \"{value}\": berth supports {string.Join(" and ", allowed.Select(a => $"\"{a}\""))}");
                return value == "private" ? "" : value;
            }
            var pidMode = Mode(Pid, "--pid", "host");
            var ipcMode = Mode(Ipc, "--ipc", "host", "private");
            var utsMode = Mode(Uts, "--uts", "host");
            if (utsMode == "host" && p.GetValue(Hostname) is not null) throw BerthException.Invalid("Conflicting options: hostname and the UTS mode");
            var restart = RestartPolicy.Parse(p.GetValue(Restart));
            if (restart.Name != "no" && p.GetValue(Rm)) throw BerthException.Invalid("Conflicting options: --restart and --rm");
            if (p.GetValue(OomScoreAdj) is { } adj and (< -1000 or > 1000))
                throw BerthException.Invalid($"Invalid value {adj}, range for oom score adj is [-1000, 1000]");
            var logOpts = new Dictionary<string, string>();
            foreach (var kv in p.GetValue(LogOpt) ?? [])
            {
                var eq = kv.IndexOf('=');
                logOpts[eq < 0 ? kv : kv[..eq]] = eq < 0 ? "" : kv[(eq + 1)..];
            }
            var logConfig = new LogConfig { Type = p.GetValue(LogDriver) is { Length: > 0 } driver ? driver : LogConfig.JsonFile, Config = logOpts };
            // docker/cli checks the MAC itself (usage error, 125); addresses are the daemon's to check.
            var mac = p.GetValue(MacAddress) is { Length: > 0 } m ? Engine.Networks.AddressRequest.NormalizeMac(m) : null;
            var (network, moreNetworks) = NetworkFlag.Resolve(
                [.. (p.GetValue(Network) ?? []).Select(n => FlagValue("--network", n, NetworkFlag.Parse))],
                p.GetValue(NetworkAlias) ?? [], p.GetValue(Ip) is { Length: > 0 } ip ? ip : null, p.GetValue(Ip6) is { Length: > 0 } ip6 ? ip6 : null, mac);
            return BlockIO.ApplyTo(new ContainerRequest
            {
                Image = p.GetValue(Image)!,
                Name = p.GetValue(Name),
                Cmd = command.Length > 0 ? command : null,
                Entrypoint = entrypoint is null ? null : entrypoint.Length == 0 ? [] : [entrypoint],
                Env = env,
                WorkingDir = p.GetValue(Workdir),
                User = p.GetValue(User),
                Hostname = p.GetValue(Hostname),
                Labels = labels,
                Tty = p.GetValue(Tty),
                OpenStdin = p.GetValue(Interactive),
                AutoRemove = p.GetValue(Rm),
                StopSignal = p.GetValue(StopSignal),
                StopTimeout = p.GetValue(StopTimeout),
                Init = p.GetValue(Init),
                Binds = [.. (p.GetValue(Volume) ?? []).Select(MountFlag.ParseVolume)],
                Mounts = [.. (p.GetValue(Mount) ?? []).Select(MountFlag.Parse)],
                Tmpfs = tmpfs,
                ReadOnly = p.GetValue(ReadOnly),
                Domainname = p.GetValue(Domainname),
                ExtraHosts = p.GetValue(AddHost) ?? [],
                Publish = p.GetValue(Publish) ?? [],
                PublishAll = p.GetValue(PublishAll),
                Dns = p.GetValue(Dns) ?? [],
                DnsSearch = p.GetValue(DnsSearch) ?? [],
                DnsOptions = p.GetValue(DnsOption) ?? [],
                Ulimits = [.. (p.GetValue(Ulimit) ?? []).Select(u => FlagValue("--ulimit", u, Engine.Containers.Ulimit.Parse))],
                ShmSize = p.GetValue(ShmSize),
                Sysctls = sysctls,
                GroupAdd = p.GetValue(GroupAdd) ?? [],
                OomScoreAdj = p.GetValue(OomScoreAdj),
                CidFile = p.GetValue(CidFile),
                Restart = p.GetValue(Restart) is null ? null : restart,
                PidMode = pidMode,
                IpcMode = ipcMode,
                UtsMode = utsMode,
                Devices = [.. (p.GetValue(Device) ?? []).Select(d => FlagValue("--device", d, DeviceMapping.Parse))],
                CpusetCpus = p.GetValue(CpusetCpus),
                CpusetMems = p.GetValue(CpusetMems),
                CpuPeriod = cpuPeriod,
                CpuQuota = p.GetValue(CpuQuota),
                MemoryReservation = p.GetValue(MemoryReservation),
                MemorySwappiness = swappiness,
                OomKillDisable = p.GetValue(OomKillDisable),
                Network = network.Target is "" ? "default" : network.Target,
                NetworkAliases = network.Aliases,
                IPv4Address = network.IPv4Address,
                IPv6Address = network.IPv6Address,
                MacAddress = network.MacAddress is { } first ? Engine.Networks.AddressRequest.NormalizeMac(first) : null,
                MoreNetworks = moreNetworks,
                Memory = p.GetValue(Memory),
                MemorySwap = p.GetValue(MemorySwap),
                NanoCpus = p.GetValue(Cpus) is { } nano and not 0 ? nano : null,
                CpuShares = cpuShares,
                PidsLimit = p.GetValue(PidsLimit),
                CapAdd = p.GetValue(CapAdd) ?? [],
                CapDrop = p.GetValue(CapDrop) ?? [],
                Privileged = p.GetValue(Privileged),
                SecurityOpt = p.GetValue(SecurityOpt) ?? [],
                LogConfig = logConfig,
                Healthcheck = Health.Healthcheck(p),
                Expose = p.GetValue(Health.Expose) ?? [],
                VolumesFrom = p.GetValue(Health.VolumesFrom) ?? [],
            }, p);
        }

        /// <summary>A flag's value through the engine's parser, whose refusal gains docker's flag context
        /// (<c>invalid argument "…" for "--flag" flag: …</c>).</summary>
        private static T FlagValue<T>(string flag, string value, Func<string, T> parse)
        {
            try
            {
                return parse(value);
            }
            catch (BerthException e) when (e.Kind == ErrorKind.InvalidArgument)
            {
                throw new BerthException(e.Kind, $"invalid argument \"{value}\" for \"{flag}\" flag: {e.Message}", e);
            }
        }

        private static void AddEnv(List<string> env, string e)
        {
            if (e.Contains('=')) env.Add(e);
            // Compat: docker takes a bare KEY from the caller's environment, and drops it when unset.
            else if (Environment.GetEnvironmentVariable(e) is { } v) env.Add($"{e}={v}");
        }
    }

    /// <summary>docker's <c>--pull</c> on run and create, done by the front end as docker's CLI does: <c>missing</c>
    /// (the default) pulls an image the store lacks, printing "Unable to find image" and the pull's progress on
    /// stderr; <c>always</c> pulls first; <c>never</c> leaves the lookup to fail. A failed pull exits 125.</summary>
    private static async Task<int?> PullForRunAsync(CliContext ctx, ParseResult p, CreateFlags flags, CancellationToken ct)
    {
        string policy = p.GetValue(flags.Pull) ?? "missing";
        if (policy is not ("missing" or "always" or "never"))
        {
            ctx.Err.WriteLine($"berth: invalid pull option: '{policy}': must be one of \"always\", \"missing\" or \"never\"");
            return ExitCodes.Usage;
        }
        string image = p.GetValue(flags.Image)!;
        if (policy == "never" || !Berth.Oci.ImageReference.TryParse(image, out var reference)) return null;
        if (policy == "missing")
        {
            if (ctx.Images.TryResolve(image, out _)) return null;
            ctx.Err.WriteLine($"Unable to find image '{reference!.FamiliarName}' locally");
        }
        try
        {
            var platform = Commands.RegistryCommands.ParsePlatform(p.GetValue(flags.Platform));
            var results = await ctx.Images.PullAsync(image, new Engine.Images.ImageService.PullOptions { Platform = platform },
                Commands.ProgressPrinter.For(ctx.Err, isError: true), ct);
            foreach (var r in results) ctx.Err.WriteLine($"Digest: {r.ManifestDigest}");
            ctx.Err.WriteLine(results.Any(r => r.Downloaded) ? $"Status: Downloaded newer image for {reference!.FamiliarName}" : $"Status: Image is up to date for {reference!.FamiliarName}");
            return null;
        }
        catch (BerthException e)
        {
            ctx.Err.WriteLine($"berth: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    private static Command WithPull(Command c, CreateFlags flags, Func<CliContext, ParseResult, CancellationToken, int> body)
    {
        CliContext.BindAsync(async (ctx, p, ct) =>
        {
            // docker/cli parses and checks every flag before it asks for the image: a bad flag is reported as such,
            // never after a pull.
            int parsed = RunGuard(ctx, () =>
            {
                flags.Request(p);
                return 0;
            });
            if (parsed != 0) return parsed;
            return await PullForRunAsync(ctx, p, flags, ct) ?? body(ctx, p, ct);
        })(c);
        return c;
    }

    /// <summary>dockerd's warnings, as the docker CLI prints a create's: <c>-p</c>/<c>-P</c> with <c>--network host</c>
    /// (the ports are the host's already), and what this host's cgroups cannot set (discarded).</summary>
    private static void PrintCreateWarnings(CliContext ctx, ContainerRequest request)
    {
        if (request.Network == "host" && (request.Publish.Count > 0 || request.PublishAll))
            ctx.Err.WriteLine("WARNING: Published ports are discarded when using host network mode");
        foreach (var warning in ContainerService.HostWarnings(request)) ctx.Err.WriteLine("WARNING: " + warning);
    }

    private static Command CreateCommand()
    {
        var flags = new CreateFlags();
        var c = new Command("create", "Create a new container");
        flags.AddTo(c);
        return WithPull(c, flags, (ctx, p, ct) => RunGuard(ctx, () =>
        {
            var request = flags.Request(p);
            PrintCreateWarnings(ctx, request);
            var row = Containers(ctx).Create(request, ct);
            ctx.Out.WriteLine(row.Id);
            return 0;
        }));
    }

    private static Command Run()
    {
        var flags = new CreateFlags();
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
        var detachKeys = DetachKeysOption();
        var c = new Command("run", "Create and run a new container from an image") { detach, detachKeys };
        flags.AddTo(c);
        return WithPull(c, flags, (ctx, p, ct) => RunGuard(ctx, () =>
        {
            // The container starts within milliseconds: get the kernel's cgroup lock switch going meanwhile.
            Berth.Runtime.Cgroups.CgroupMigration.Begin();
            var request = flags.Request(p);
            PrintCreateWarnings(ctx, request);
            var service = Containers(ctx);
            var keys = DetachKeys.Default;
            if (!p.GetValue(detach) && Refused(ctx, request.Tty, request.OpenStdin, p.GetValue(detachKeys), "detach", out keys)) return ExitCodes.Failure;
            if (p.GetValue(detach))
            {
                // Created and started under one hold of the container's lock: a concurrent rm waits for the start.
                var (created, held) = service.CreateLocked(request, ct);
                using (held)
                {
                    Berth.Oci.Diagnostics.Timeline.Mark("engine: container recorded");
                    service.StartDetached(created, held, ct);
                }
                ctx.Out.WriteLine(created.Id);
                return 0;
            }
            var row = service.Create(request, ct);
            Berth.Oci.Diagnostics.Timeline.Mark("engine: container recorded");
            return RunAttached(service, row, request.Tty, request.OpenStdin, keys, ct);
        }));
    }

    private static Command Start()
    {
        var attach = new Option<bool>("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Attach container's STDIN" };
        var detachKeys = DetachKeysOption();
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("start", "Start one or more stopped containers") { attach, interactive, detachKeys, names };
        return With(c, (ctx, p, ct) => RunGuard(ctx, () =>
        {
            Berth.Runtime.Cgroups.CgroupMigration.Begin();
            var service = Containers(ctx);
            var list = p.GetValue(names)!;
            if (p.GetValue(attach) || p.GetValue(interactive))
            {
                if (list.Length > 1) throw BerthException.Invalid("you cannot start and attach multiple containers at once");
                var row = service.Resolve(list[0]);
                if (row.Status == "running") throw BerthException.Conflict($"container {row.Id} is already running");
                var tty = ContainerService.ConfigOf(row).Request.Tty;
                if (Refused(ctx, tty, p.GetValue(interactive), p.GetValue(detachKeys), "detach", out var keys)) return ExitCodes.Failure;
                return RunAttached(service, row, tty, p.GetValue(interactive), keys, ct);
            }
            var rc = 0;
            foreach (var n in list)
            {
                try
                {
                    service.StartDetached(service.Resolve(n), ct);
                    ctx.Out.WriteLine(n);
                }
                catch (BerthException e)
                {
                    ctx.Err.WriteLine($"Error: {e.Message}");
                    rc = 1;
                }
            }
            if (rc != 0) ctx.Err.WriteLine("Error: failed to start containers: " + string.Join(", ", list));
            return rc;
        }));
    }

    // ---- stop / kill / restart / rm / wait ----

    private static int ForEach(CliContext ctx, IEnumerable<string> names, Action<ContainerService, ContainerRow, string> action)
    {
        var service = Containers(ctx);
        var rc = 0;
        foreach (var n in names)
        {
            try
            {
                action(service, service.Resolve(n), n);
            }
            catch (BerthException e)
            {
                ctx.Err.WriteLine($"Error: {e.Message}");
                rc = 1;
            }
        }
        return rc;
    }

    private static Command Stop()
    {
        var time = new Option<int?>("--time", "-t", "--timeout") { Description = "Seconds to wait before killing the container" };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("stop", "Stop one or more running containers") { time, signal, names };
        return With(c, (ctx, p, ct) => ForEach(ctx, p.GetValue(names)!, (s, row, n) =>
        {
            var number = p.GetValue(signal) is { } sig ? Engine.Containers.Signals.Parse(sig) : (int?)null;
            s.Stop(row, p.GetValue(time), ct, number);
            ctx.Out.WriteLine(n);
        }));
    }

    private static Command Restart()
    {
        var time = new Option<int?>("--time", "-t", "--timeout") { Description = "Seconds to wait before killing the container" };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("restart", "Restart one or more containers") { time, signal, names };
        return With(c, (ctx, p, ct) => ForEach(ctx, p.GetValue(names)!, (s, row, n) =>
        {
            var number = p.GetValue(signal) is { } sig ? Engine.Containers.Signals.Parse(sig) : (int?)null;
            s.Restart(row, p.GetValue(time), ct, number);
            ctx.Out.WriteLine(n);
        }));
    }

    private static Command Kill()
    {
        var signal = new Option<string>("--signal", "-s") { Description = "Signal to send to the container", DefaultValueFactory = _ => "KILL" };
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("kill", "Kill one or more running containers") { signal, names };
        return With(c, (ctx, p, ct) =>
        {
            var number = Engine.Containers.Signals.Parse(p.GetValue(signal)!);
            return ForEach(ctx, p.GetValue(names)!, (s, row, n) =>
            {
                s.Kill(row, number);
                ctx.Out.WriteLine(n);
            });
        });
    }

    private static Command Remove(string name, string[] aliases)
    {
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container" };
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command(name, "Remove one or more containers") { force, volumes, names };
        foreach (var a in aliases) c.Aliases.Add(a);
        return With(c, (ctx, p, ct) =>
        {
            var service = Containers(ctx);
            var rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                try
                {
                    if (!service.TryResolve(n, out var row))
                    {
                        if (p.GetValue(force)) continue;
                        throw BerthException.NotFound($"No such container: {n}");
                    }
                    service.Remove(row!, p.GetValue(force), p.GetValue(volumes), ct);
                    ctx.Out.WriteLine(n);
                }
                catch (BerthException e) when (e.Kind == ErrorKind.NotFound && p.GetValue(force))
                {
                    // Compat: docker's rm -f is silent about a container that is not there (another rm came first).
                }
                catch (BerthException e)
                {
                    ctx.Err.WriteLine($"Error: {e.Message}");
                    rc = 1;
                }
            }
            return rc;
        });
    }

    private static Command Wait()
    {
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var c = new Command("wait", "Block until one or more containers stop, then print their exit codes") { names };
        return With(c, (ctx, p, ct) => ForEach(ctx, p.GetValue(names)!, (s, row, _) =>
            ctx.Out.WriteLine(s.Wait(row, ct).ToString(CultureInfo.InvariantCulture))));
    }

    // ---- ps ----

    private static Command List(string name, params string[] aliases)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var format = new Option<string?>("--format") { Description = "Format output: table, json, or a Go template" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output (status=, name=, id=, label=, ancestor=, exited=, volume=, health=)" };
        var last = new Option<int?>("--last", "-n") { Description = "Show n last created containers (includes all states)" };
        var latest = new Option<bool>("--latest", "-l") { Description = "Show the latest created container (includes all states)" };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes" };
        var c = new Command(name, "List containers") { all, quiet, noTrunc, format, filter, last, latest, size };
        foreach (var a in aliases) c.Aliases.Add(a);
        return With(c, (ctx, p, ct) =>
        {
            var service = Containers(ctx);
            var now = DateTimeOffset.UtcNow;
            var rows = service.List(new ContainerListQuery
            {
                All = p.GetValue(all),
                Limit = p.GetValue(latest) ? 1 : p.GetValue(last) is { } n && n >= 0 ? n : null,
                Filters = FilterFlags.Parse(p.GetValue(filter)),
            });
            var trunc = !p.GetValue(noTrunc);
            var printed = rows.Select(r => Row(service, r, trunc, now)).ToList();
            List<RowPrinter.Column> columns =
            [
                new("CONTAINER ID", "ID"), new("IMAGE", "Image"), new("COMMAND", "Command"), new("CREATED", "RunningFor"),
                new("STATUS", "Status"), new("PORTS", "Ports"), new("NAMES", "Names"),
            ];
            if (p.GetValue(size))
            {
                // The writable layer, and with the image beneath it ("virtual"), as docker's ps -s.
                for (var i = 0; i < rows.Count; i++)
                {
                    var (rw, image) = service.SizeOf(rows[i]);
                    printed[i]["Size"] = $"{Units.HumanSize(rw)} (virtual {Units.HumanSize(rw + image)})";
                }
                columns.Add(new("SIZE", "Size"));
            }
            RowPrinter.Print(ctx.Out, printed, columns, p.GetValue(format), p.GetValue(quiet), "ID");
            return 0;
        });
    }

    private static Dictionary<string, string> Row(ContainerService service, ContainerRow r, bool trunc, DateTimeOffset now)
    {
        var config = ContainerService.ConfigOf(r);
        var command = ContainerService.CommandOf(r);
        if (trunc && command.Length > 20) command = command[..19] + "…";
        return new Dictionary<string, string>
        {
            ["ID"] = trunc ? r.Id[..12] : r.Id,
            ["Image"] = r.ImageName,
            ["Command"] = "\"" + command + "\"",
            ["CreatedAt"] = Units.GoTime(r.Created),
            ["RunningFor"] = Units.Ago(r.Created, now),
            ["Ports"] = PortsColumn(config, service.PublishedPorts(r)),
            ["State"] = service.StateOf(r),
            ["Status"] = service.StatusTextOf(r, now, Units.Ago),
            ["Size"] = "0B",
            ["Names"] = r.Name,
            ["Labels"] = string.Join(',', config.Labels.Select(kv => $"{kv.Key}={kv.Value}")),
            ["Mounts"] = string.Join(',', config.Mounts.Select(m => m.Name ?? m.Source)),
            ["Networks"] = string.Join(',', service.NetworkNamesOf(r)),
            ["LocalVolumes"] = config.Mounts.Count(m => m.Type == "volume").ToString(CultureInfo.InvariantCulture),
        };
    }

    // ---- logs ----

    private static Command Logs()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
        var tail = new Option<string>("--tail", "-n") { Description = "Number of lines to show from the end of the logs", DefaultValueFactory = _ => "all" };
        var since = new Option<string?>("--since") { Description = "Show logs since timestamp (2013-01-02T13:23:37Z) or relative (42m)" };
        var until = new Option<string?>("--until") { Description = "Show logs before a timestamp or relative time" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
        var details = new Option<bool>("--details") { Description = "Show extra details provided to logs" };
        var name = new Argument<string>("CONTAINER");
        var c = new Command("logs", "Fetch the logs of a container") { follow, tail, since, until, timestamps, details, name };
        return With(c, (ctx, p, ct) =>
        {
            var service = Containers(ctx);
            var row = service.Resolve(p.GetValue(name)!);
            var tailText = p.GetValue(tail)!;
            int? tailN = tailText == "all" ? null : int.TryParse(tailText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t >= 0 ? t : null;
            var now = DateTimeOffset.UtcNow;
            var options = new LogOptions
            {
                Follow = p.GetValue(follow),
                Tail = tailN,
                Since = p.GetValue(since) is { } s ? DockerTime.Parse(s, now) : null,
                Until = p.GetValue(until) is { } u ? DockerTime.Parse(u, now) : null,
            };
            using var stdout = Console.OpenStandardOutput();
            using var stderr = Console.OpenStandardError();
            using var printer = new LogPrinter(stdout, stderr, p.GetValue(timestamps), p.GetValue(details));
            service.Logs(row, options, printer, ct);
            return 0;
        });
    }

    // ---- top / prune / inspect ----

    private static Command Attach()
    {
        var noStdin = new Option<bool>("--no-stdin") { Description = "Do not attach STDIN" };
        var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy all received signals to the process", DefaultValueFactory = _ => true };
        var detachKeys = DetachKeysOption();
        var name = new Argument<string>("CONTAINER");
        var c = new Command("attach", "Attach local standard input, output, and error streams to a running container") { detachKeys, noStdin, sigProxy, name };
        return With(c, (ctx, p, ct) =>
        {
            if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
            var service = Containers(ctx);
            var row = service.Resolve(p.GetValue(name)!);
            var tty = ContainerService.ConfigOf(row).Request.Tty;
            var stdin = !p.GetValue(noStdin);
            if (Refused(ctx, tty, stdin, p.GetValue(detachKeys), "detach", out var keys)) return ExitCodes.Failure;
            var proxy = tty || !p.GetValue(sigProxy) ? ConsoleSession.SignalProxy.None : ConsoleSession.SignalProxy.ForwardAndStopOnInterrupt;
            service.RecordAttach(row);
            var end = ConsoleSession.Run(tty, stdin, keys, proxy, streams => service.AttachAsync(row, streams, ct));
            if (!end.Detached) return end.ExitCode;
            ctx.Err.WriteLine(ConsoleSession.ReadEscapeSequence);
            return ExitCodes.Failure;
        });
    }

    /// <summary>docker ps's PORTS: each published port as <c>0.0.0.0:8080->80/tcp</c>, each exposed one not
    /// published as <c>80/tcp</c>, by container port.</summary>
    private static string PortsColumn(StoredContainerConfig config, IReadOnlyList<PortRow> published)
    {
        var entries = published.Select(p => (Port: p.ContainerPort, Proto: p.Protocol, Text: $"{(p.HostIp.Length == 0 ? "0.0.0.0" : p.HostIp)}:{p.HostPort}->{p.ContainerPort}/{p.Protocol}"))
            .Concat((config.ExposedPorts ?? []).Where(k => !published.Any(p => $"{p.ContainerPort}/{p.Protocol}" == k))
                .Select(k => (Port: int.Parse(k[..k.IndexOf('/')], CultureInfo.InvariantCulture), Proto: k[(k.IndexOf('/') + 1)..], Text: k)));
        return string.Join(", ", entries.OrderBy(e => e.Port).ThenBy(e => e.Proto, StringComparer.Ordinal).Select(e => e.Text));
    }

    /// <summary><c>port CONTAINER [PRIVATE_PORT[/PROTO]]</c>: the host side of each published port.</summary>
    private static Command Port()
    {
        var name = new Argument<string>("CONTAINER");
        var which = new Argument<string?>("PRIVATE_PORT[/PROTO]") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command("port", "List port mappings or a specific mapping for the container") { name, which };
        return With(c, (ctx, p, ct) =>
        {
            var service = Containers(ctx);
            var row = service.Resolve(p.GetValue(name)!);
            var ports = service.PublishedPorts(row).OrderBy(x => x.ContainerPort).ThenBy(x => x.Protocol, StringComparer.Ordinal).ToList();
            if (p.GetValue(which) is { } asked)
            {
                var key = asked.Contains('/') ? asked : asked + "/tcp";
                var match = ports.Where(x => $"{x.ContainerPort}/{x.Protocol}" == key).ToList();
                if (match.Count == 0) throw BerthException.NotFound($"No public port '{asked}' published for {p.GetValue(name)}");
                foreach (var x in match) ctx.Out.WriteLine($"{(x.HostIp.Length == 0 ? "0.0.0.0" : x.HostIp)}:{x.HostPort}");
                return 0;
            }
            foreach (var x in ports) ctx.Out.WriteLine($"{x.ContainerPort}/{x.Protocol} -> {(x.HostIp.Length == 0 ? "0.0.0.0" : x.HostIp)}:{x.HostPort}");
            return 0;
        });
    }

    private static Command Top()
    {
        var name = new Argument<string>("CONTAINER");
        var psOptions = new Argument<string[]>("ps OPTIONS") { Arity = ArgumentArity.ZeroOrMore };
        var c = new Command("top", "Display the running processes of a container") { name, psOptions };
        c.TreatUnmatchedTokensAsErrors = false;
        return With(c, (ctx, p, ct) =>
        {
            var service = Containers(ctx);
            var top = service.Top(service.Resolve(p.GetValue(name)!), [.. p.GetValue(psOptions) ?? [], .. p.UnmatchedTokens]);
            var table = new Table([.. top.Titles]) { MinWidth = 20 };
            foreach (var row in top.Processes) table.Add([.. row]);
            ctx.Out.Write(table.ToString());
            return 0;
        });
    }

    private static Command Prune()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var c = new Command("prune", "Remove all stopped containers") { force };
        return With(c, (ctx, p, ct) =>
        {
            if (!p.GetValue(force))
            {
                ctx.Out.Write("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
                ctx.Out.Flush();
                var answer = Console.In.ReadLine()?.Trim().ToLowerInvariant();
                if (answer is not ("y" or "yes")) return 0;
            }
            var (removed, reclaimed) = Containers(ctx).Prune(ct);
            if (removed.Count > 0)
            {
                ctx.Out.WriteLine("Deleted Containers:");
                foreach (var id in removed) ctx.Out.WriteLine(id);
                ctx.Out.WriteLine();
            }
            ctx.Out.WriteLine($"Total reclaimed space: {Units.HumanSize(reclaimed)}");
            return 0;
        });
    }

    private static Command Inspect(string name, bool containersOnly)
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a Go template or json" };
        var type = new Option<string?>("--type") { Description = "Only inspect objects of the given type (container, image)" };
        var names = new Argument<string[]>("NAME|ID") { Arity = ArgumentArity.OneOrMore };
        var c = new Command(name, containersOnly ? "Display detailed information on one or more containers" : "Return low-level information on berth objects") { format, names };
        if (!containersOnly) c.Options.Add(type);
        return With(c, (ctx, p, ct) =>
        {
            var service = Containers(ctx);
            var wanted = containersOnly ? "container" : p.GetValue(type);
            if (wanted is not (null or "container" or "image")) throw BerthException.Invalid($"\"{wanted}\" is not a valid value for --type");
            var docs = new List<string>();
            var rc = 0;
            foreach (var n in p.GetValue(names)!)
            {
                if (wanted is null or "container" && service.TryResolve(n, out var row))
                    docs.Add(JsonSerializer.Serialize(service.Inspect(row!), ContainerJsonContext.Indented.ContainerInspect));
                else if (wanted is null or "image" && ctx.Images.TryResolve(n, out var image))
                    docs.Add(JsonSerializer.Serialize(ctx.Images.Inspect(image!), EngineJsonContext.Indented.ImageInspect));
                else
                {
                    ctx.Err.WriteLine(wanted == "container" ? $"Error: No such container: {n}" : wanted == "image" ? $"Error: No such image: {n}" : $"Error: No such object: {n}");
                    rc = 1;
                }
            }
            var fmt = p.GetValue(format);
            if (string.IsNullOrEmpty(fmt) || fmt == "json")
            {
                ctx.Out.WriteLine(docs.Count == 0 ? "[]" : "[\n" + string.Join(",\n", docs.Select(d => Indent(d))) + "\n]");
            }
            else
            {
                var template = GoTemplate.Parse(fmt);
                foreach (var d in docs)
                {
                    ctx.Out.WriteLine(template.Execute(d));
                }
            }
            return rc;
        });
    }

    private static string Indent(string json) => string.Join('\n', json.Split('\n').Select(l => "    " + l));

    // ---- exec ----

    private static Command Exec()
    {
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables" };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the command" };
        var name = new Argument<string>("CONTAINER");
        var command = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.OneOrMore };
        var detachKeys = DetachKeysOption();
        var c = new Command("exec", "Execute a command in a running container") { detach, detachKeys, interactive, tty, env, user, workdir, privileged, name, command };
        return With(c, (ctx, p, ct) => RunGuard(ctx, () =>
        {
            // The exec process joins the container's cgroups within milliseconds (see CgroupMigration).
            Berth.Runtime.Cgroups.CgroupMigration.Begin();
            var service = Containers(ctx);
            // As docker: a container that is missing or not running is the daemon's refusal (exit 1), not a failure to
            // run the command (126/127) or berth's own (125).
            ContainerRow row;
            try
            {
                row = service.Resolve(p.GetValue(name)!);
                if (row.Status != "running") throw BerthException.Conflict($"Container {row.Id} is not running");
                if (service.IsPaused(row)) throw BerthException.Conflict($"Container {p.GetValue(name)} is paused, unpause the container before exec");
            }
            catch (BerthException e)
            {
                ctx.Err.WriteLine($"Error: {e.Message}");
                return ExitCodes.Failure;
            }
            var interactiveTty = !p.GetValue(detach) && p.GetValue(tty);
            if (Refused(ctx, interactiveTty, p.GetValue(interactive), p.GetValue(detachKeys), "escape", out var keys)) return ExitCodes.Failure;
            var request = new ExecRequest
            {
                Command = p.GetValue(command)!,
                // Compat: as docker, a bare KEY takes its value from our environment, and is dropped when unset there.
                Env = [.. (p.GetValue(env) ?? []).Select(e => e.Contains('=') || Environment.GetEnvironmentVariable(e) is not { } v ? e : $"{e}={v}")],
                User = p.GetValue(user),
                WorkingDir = p.GetValue(workdir),
                Tty = p.GetValue(tty),
                Interactive = p.GetValue(interactive),
                Detach = p.GetValue(detach),
                Privileged = p.GetValue(privileged),
            };
            if (request.Detach)
            {
                service.ExecAsync(row, request, new AttachStreams(), ct).GetAwaiter().GetResult();
                return 0;
            }
            var proxy = request.Tty ? ConsoleSession.SignalProxy.None : ConsoleSession.SignalProxy.Forward;
            var end = ConsoleSession.Run(request.Tty, request.Interactive, keys, proxy, streams => service.ExecAsync(row, request, streams, ct));
            if (!end.Detached) return end.ExitCode;
            ctx.Err.WriteLine(ConsoleSession.ReadEscapeSequence);
            return ExitCodes.Failure;
        }));
    }

    private static Option<string?> DetachKeysOption() => new("--detach-keys") { Description = "Override the key sequence for detaching a container" };

    /// <summary>docker's checks before a session with a terminal: <c>-it</c> needs a terminal on stdin ("the input
    /// device is not a TTY"), and the detach keys must parse (docker's daemon: "Invalid detach keys (…) provided";
    /// exec says "escape keys"). Both exit 1, before anything is created.</summary>
    private static bool Refused(CliContext ctx, bool tty, bool stdin, string? spec, string what, out DetachKeys keys)
    {
        keys = DetachKeys.Default;
        if (spec is not null && !DetachKeys.TryParse(spec, out keys))
        {
            ctx.Err.WriteLine($"berth: Invalid {what} keys ({spec}) provided");
            return true;
        }
        if (tty && stdin && !ConsoleSession.StdinIsTerminal)
        {
            ctx.Err.WriteLine(ConsoleSession.NotATty);
            return true;
        }
        return false;
    }

    /// <summary><c>run</c> and <c>start -a</c>: the session's exit code; a detach (Ctrl-P Ctrl-Q) leaves the
    /// container running and exits 0, as docker.</summary>
    private static int RunAttached(ContainerService service, ContainerRow row, bool tty, bool stdin, DetachKeys keys, CancellationToken ct)
    {
        var proxy = tty && stdin ? ConsoleSession.SignalProxy.Forward : ConsoleSession.SignalProxy.ForwardAndStopOnInterrupt;
        var end = ConsoleSession.Run(tty, stdin, keys, proxy, streams => service.StartAttachedAsync(row, streams, ct));
        return end.ExitCode;
    }
}
