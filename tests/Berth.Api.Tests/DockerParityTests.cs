using System.Text.RegularExpressions;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>Issue 12's differential test: the docker CLI 28 runs one script against <c>berth daemon</c> and against a
/// private dockerd 20.10, both with the same busybox image imported, and what it prints must be the same once what
/// must differ (IDs, times, sizes, daemon paths) is normalized: exit codes, stdout and stderr, error messages
/// included. Each daemon runs in a network namespace of its own with a docker-registry on that namespace's
/// 127.0.0.1:5000 (both push to and pull from "their" registry under the same name).</summary>
[Collection("api")]
public sealed partial class DockerParityTests(BusyboxFixture image)
{
    /// <summary>The script: one shell line per case, run by /bin/sh in the daemon's work directory ($W, which holds
    /// src/, out/, the build contexts and in.txt) with DOCKER_HOST pointing at the daemon. A case is one line.</summary>
    private static readonly string[] Script =
    [
        // Images and tags.
        "docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}'",
        "docker history --format '{{.CreatedBy}}|{{.Size}}|{{.Comment}}' busybox:latest",
        "docker image inspect -f '{{.RepoTags}} {{json .Config.Cmd}} {{.Os}} {{.Architecture}}' busybox:latest",
        "docker tag busybox:latest bb:two",
        "docker tag nosuch:1 bb:three",
        "docker rmi bb:two",
        "docker rmi nosuch:1",
        "docker image inspect nosuch:1",

        // Runs: output, exit codes, docker's errors.
        "date +%s.%N > t0",
        "docker run --network none --name once busybox:latest sh -c 'echo out; echo err >&2; exit 3'",
        "docker run --network none --name gone --rm busybox:latest sh -c 'echo gone'",
        "docker run --network none --name catin -i --rm busybox:latest sh -c 'cat; exit 4' < in.txt",
        "docker run --network none --name box -d busybox:latest sleep 300",
        "docker run --network none --name box busybox:latest true",
        "docker run --network none --pull never nosuch:1 true",
        "docker run --network none --name nocmd --rm busybox:latest nosuchcmd",
        "docker run --network none --name noexec --rm busybox:latest /etc/passwd",
        "docker run --network none --name labelled -e A=1 -w /tmp -l k=v --restart on-failure:2 -m 64m busybox:latest pwd",
        "docker create --name made busybox:latest echo created",
        "docker start -a made",
        "docker events --since \"$(cat t0)\" --until \"$(date +%s.%N)\" --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'",

        // ps.
        "docker ps --format '{{.Names}}|{{.Image}}|{{.Command}}|{{.Status}}|{{.Ports}}|{{.Networks}}|{{.Mounts}}|{{.Labels}}'",
        "docker ps -a --format '{{.Names}}|{{.Status}}|{{.Command}}'",
        "docker ps -a --filter status=exited --filter label=k=v --format '{{.Names}}'",
        "docker ps",

        // Containers in the wrong state, and missing ones.
        "docker rm box",
        "docker exec box sh -c 'echo in; echo err >&2; exit 5'",
        "docker exec -i box cat < in.txt",
        "docker exec once true",
        "docker exec nosuch true",
        "docker logs once",
        "docker logs --tail 1 made",
        "docker logs missing",
        "docker stop nosuch",
        "docker start once",
        "docker wait once",
        "docker start -a once",
        "docker kill once",

        // logs -f follows a container to its end.
        "docker run --network none -d --name lf busybox:latest sh -c 'echo a; sleep 1; echo b >&2; echo c'",
        "docker logs -f lf",
        "docker wait lf",

        // inspect of common fields.
        "docker inspect -f '{{.Name}} {{.State.Status}} {{.State.Running}} {{.State.Paused}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Dead}} {{.State.Pid}} {{.State.Error}}' once",
        "docker inspect -f '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.RestartCount}} {{.Path}} {{json .Args}}' box",
        "docker inspect -f '{{json .Config.Cmd}} {{json .Config.Env}} {{.Config.WorkingDir}} {{json .Config.Labels}} {{.Config.Image}} {{.Config.Tty}} {{.Config.OpenStdin}}' labelled",
        "docker inspect -f '{{json .HostConfig.RestartPolicy}} {{.HostConfig.Memory}} {{.HostConfig.NetworkMode}} {{json .HostConfig.Binds}} {{.HostConfig.AutoRemove}} {{.HostConfig.Privileged}} {{.HostConfig.LogConfig.Type}} {{.HostConfig.ShmSize}}' labelled",
        "docker inspect nothing",
        "docker inspect --type container busybox:latest",
        "docker container inspect -f '{{.Name}}' box nothing",

        // cp both ways: a file, a directory, missing paths.
        "docker cp src/dir box:/tmp/",
        "docker cp src/file box:/tmp/f",
        "docker exec box find /tmp",
        "docker cp box:/tmp/dir out/",
        "docker cp box:/tmp/f out/f",
        "find out | sort && cat out/f out/dir/sub/b",
        "docker cp box:/nosuch out/",
        "docker cp src/nosuch box:/tmp/",
        "docker cp src/file box:/nosuchdir/x",
        "docker cp nosuchbox:/x out/",
        "docker cp box:/etc/hostname - | tar t",

        // Volumes.
        "docker volume create vol",
        "docker volume ls --format '{{.Driver}} {{.Name}}'",
        "docker run --network none --name usesvol -v vol:/data busybox:latest sh -c 'echo v > /data/f'",
        "docker run --network none --rm -v vol:/data busybox:latest cat /data/f",
        "docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.Driver}} {{.Mode}} {{.RW}} {{.Propagation}}{{end}}' usesvol",
        "docker volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}' vol",
        "docker volume rm vol",
        "docker volume inspect nosuchvol",
        "docker volume rm nosuchvol",

        // Networks.
        "docker network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'",
        "docker network create --subnet 10.99.0.0/24 --label k=v pnet",
        "docker network create pnet",
        "docker network inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.Internal}} {{json .Labels}}' pnet",
        "docker network connect pnet box",
        "docker run -d --name netc busybox:latest sleep 300",
        "docker network connect --alias nc pnet netc",
        "docker network connect pnet netc",
        "docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.Aliases}} {{$v.IPAddress}} {{$v.IPPrefixLen}} {{$v.Gateway}}; {{end}}' netc",
        "docker network rm pnet",
        "docker network disconnect pnet netc",
        "docker network disconnect pnet netc",
        "docker network rm pnet",
        "docker network rm nonet",
        "docker network rm none",
        "docker network inspect nonet",

        // Build: a good one, a failing RUN; tag and rmi. One step after FROM each: the legacy builder commits an
        // image per step, which rmi then lists (BuildKit and berth make none).
        "docker build -t t:1 ctx-ok",
        "docker run --network none --rm t:1 cat /a.txt",
        // --force-rm: dockerd's legacy builder keeps a failed step's container without it (BuildKit and berth
        // make no container to keep).
        "docker build --force-rm -t t:bad ctx-bad",
        "docker image inspect t:bad",
        "docker build -t t:2 -f nosuch.Dockerfile ctx-ok",
        "docker tag t:1 t:2",
        "docker rmi t:1",
        "docker run --network none --name uses-t2 t:2 cat /a.txt",
        "docker rmi t:2",
        "docker rm uses-t2",
        // The untag and the image: the layer lines after them depend on whether berth's build cache still holds the
        // layer (dockerd's legacy builder has no cache, and its layer always goes).
        "docker rmi t:2 | head -2",

        // A registry: push, pull, missing names.
        "docker tag busybox:latest 127.0.0.1:5000/bb:1",
        "docker push 127.0.0.1:5000/bb:1",
        "docker push 127.0.0.1:5000/bb:1",
        "docker rmi 127.0.0.1:5000/bb:1",
        "docker pull 127.0.0.1:5000/bb:1",
        "docker pull 127.0.0.1:5000/bb:1",
        "docker pull -q 127.0.0.1:5000/bb:1",
        "docker pull 127.0.0.1:5000/bb:nosuch",
        "docker push 127.0.0.1:5000/nosuch:1",

        // Terminals: run -it and exec -it under a pseudo-terminal (script -e exits with the command's code).
        "script -qec \"docker run -it --name tty --rm --network none busybox:latest sh -c 'tty >/dev/null && echo on-a-tty; exit 3'\" /dev/null",
        "script -qec \"docker exec -it box sh -c 'tty >/dev/null && echo exec-tty; exit 4'\" /dev/null",

        // stats, system df and the prunes.
        "docker stats --no-stream --format '{{.Name}}'",
        "docker stats --no-stream --format '{{.Name}}' once",
        "docker system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'",
        "docker system df",
        "docker rm -f box netc",
        "docker container prune -f",
        "docker image prune -f",
        "docker volume prune -f",
        "docker network prune -f",
        "docker system prune -f",
        "docker ps -a",
        // Two names of one image: the CLI prints an image's repositories in Go's map order, random on either side.
        "docker images --format '{{.Repository}}:{{.Tag}}' | sort",
        "docker rmi busybox:latest 127.0.0.1:5000/bb:1",
        "docker images",
        "docker events --since \"$(cat t0)\" --until \"$(date +%s.%N)\" --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}'",
        "docker events --since \"$(cat t0)\" --until \"$(date +%s.%N)\" --filter container=box --format '{{.Action}}'",
        "docker events --since \"$(cat t0)\" --until \"$(date +%s.%N)\" --filter type=volume --filter type=network --format '{{.Type}} {{.Action}}'",
    ];

    /// <summary>Cases where berth still differs from dockerd, each with why (a case here must still differ).</summary>
    private static readonly Dictionary<string, string> Known = new(StringComparer.Ordinal)
    {
        ["docker system prune -f"] = "berth prunes its build cache records (a cache as BuildKit's); dockerd's legacy builder keeps "
            + "no cache but its images",
        ["docker events --since \"$(cat t0)\" --until \"$(date +%s.%N)\" --filter type=volume --filter type=network --format '{{.Type}} {{.Action}}'"] =
            "one network connect/disconnect pair less: dockerd's legacy builder runs the RUN step of `docker build ctx-bad` in a "
            + "container on the default bridge, which logs both; berth's builder, as BuildKit, runs steps in no daemon container",
    };

    [Fact]
    public void TheDockerCliPrintsTheSameForBerthAsForDockerd()
    {
        // Clients and scripts parse what the docker CLI prints and branch on its exit codes; whatever dockerd makes
        // the CLI print, berth must make it print too, errors included.
        HostCapabilities.RequireTool("dockerd");
        HostCapabilities.RequireTool("script");
        using var dockerdNet = new NetworkSandbox();
        using var berthNet = new NetworkSandbox();
        using var dockerd = new PrivateDockerd(dockerdNet.Inside);
        using var s = new ApiStore(image, berthNet);
        using var dockerdRegistry = new RegistryServer(new RegistryServer.Options { NetworkNamespace = dockerdNet.Inside, Port = 5000 });
        using var berthRegistry = new RegistryServer(new RegistryServer.Options { NetworkNamespace = berthNet.Inside, Port = 5000 });
        dockerd.Docker("import", "--change", "CMD [\"/bin/sh\"]", image.Tar, "busybox:latest").AssertExit(0);

        var dockerdSide = new Side("dockerd", dockerd.Host, WorkDirectory(s.Dir.Sub("w-dockerd")), [dockerd.DataRoot]);
        var berthSide = new Side("berth", s.Daemon.Host, WorkDirectory(s.Dir.Sub("w-berth")), [s.Berth.Root, s.Berth.StateDir]);
        var differences = new List<string>();
        var known = new List<string>();
        foreach (var line in Script)
        {
            var expected = dockerdSide.Run(line);
            var actual = berthSide.Run(line);
            if (Known.ContainsKey(line))
            {
                // A known difference that went away must leave the list, so that it is compared from then on.
                if (expected == actual) differences.Add($"$ {line}\nis now the same: remove it from Known\n");
                else known.Add($"$ {line}\n--- dockerd\n{expected}--- berth\n{actual}");
            }
            else if (expected != actual) differences.Add($"$ {line}\n--- dockerd\n{expected}--- berth\n{actual}");
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{known.Count} known differences:\n\n{string.Join("\n", known)}");
        Assert.True(differences.Count == 0, $"{differences.Count} of {Script.Length} cases differ:\n\n{string.Join("\n", differences)}");
    }

    /// <summary>The same files in each daemon's work directory: what cp and build read.</summary>
    private static string WorkDirectory(string w)
    {
        Directory.CreateDirectory(Path.Combine(w, "src", "dir", "sub"));
        Directory.CreateDirectory(Path.Combine(w, "out"));
        File.WriteAllText(Path.Combine(w, "src", "dir", "a"), "one\n");
        File.WriteAllText(Path.Combine(w, "src", "dir", "sub", "b"), "two\n");
        File.WriteAllText(Path.Combine(w, "src", "file"), "file\n");
        File.WriteAllText(Path.Combine(w, "in.txt"), "in\nput\n");
        Directory.CreateDirectory(Path.Combine(w, "ctx-ok"));
        File.WriteAllText(Path.Combine(w, "ctx-ok", "Dockerfile"), "FROM busybox:latest\nCOPY a.txt /a.txt\n");
        File.WriteAllText(Path.Combine(w, "ctx-ok", "a.txt"), "from the context\n");
        Directory.CreateDirectory(Path.Combine(w, "ctx-bad"));
        File.WriteAllText(Path.Combine(w, "ctx-bad", "Dockerfile"), "FROM busybox:latest\nRUN echo building; exit 7\n");
        Directory.CreateDirectory(Path.Combine(w, ".docker"));
        return w;
    }

    /// <summary>One daemon's side of the comparison: runs a case and gives back its normalized transcript.</summary>
    private sealed class Side(string name, string host, string workDirectory, IReadOnlyList<string> daemonPaths)
    {
        public string Run(string line)
        {
            var env = new Dictionary<string, string>
            {
                ["DOCKER_HOST"] = host,
                // The CLI asks for what the daemon offers, and its requests change with the version (1.41 for
                // dockerd 20.10, 1.47 for berth): both sides get the same client.
                ["DOCKER_API_VERSION"] = "1.41",
                ["DOCKER_BUILDKIT"] = "0",
                ["DOCKER_CONFIG"] = Path.Combine(workDirectory, ".docker"),
                ["DOCKER_CLI_HINTS"] = "false",
                ["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                ["W"] = workDirectory,
            };
            var r = Testing.Run.Tool("/bin/sh", ["-c", $"cd \"$W\" && exec </dev/null && {line}"], timeout: TimeSpan.FromSeconds(60), env: env);
            return Normalize($"exit {r.ExitCode}\n{r.Stdout}--- stderr\n{r.Stderr}", workDirectory, daemonPaths);
        }

        public override string ToString() => name;
    }

    /// <summary>Replaces only what must differ between two daemons; everything else is compared byte for byte.</summary>
    internal static string Normalize(string text, string workDirectory, IReadOnlyList<string> daemonPaths)
    {
        text = text.Replace(workDirectory, "$W", StringComparison.Ordinal);
        // Where each daemon keeps its files (a volume's Mountpoint and Source).
        foreach (var p in daemonPaths) text = text.Replace(p, "$ROOT", StringComparison.Ordinal);
        // Digests and IDs: content-addressed, or random; a layer's digest also depends on its compression.
        text = Digest().Replace(text, "sha256:<digest>");
        text = LongId().Replace(text, "<id>");
        text = ShortId().Replace(text, "<id>");
        // Times, and how long ago things happened.
        text = Timestamp().Replace(text, "<time>");
        // dockerd 20.10 says an image it cannot find twice ("no such image: x: No such image: x"); later dockerd
        // once, as berth.
        text = DoubledNoSuchImage().Replace(text, "No such image: $1");
        // A process that cannot start: dockerd passes on containerd's and runc's chain around the reason, berth
        // (its own runtime) the reason.
        text = text.Replace("failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ", "", StringComparison.Ordinal)
            .Replace("in $PATH: unknown", "in $PATH", StringComparison.Ordinal).Replace("permission denied: unknown", "permission denied", StringComparison.Ordinal);
        text = Ago().Replace(text, "<ago>");
        // Sizes: the same files take a little more or less room in each store's layout and layer compression.
        text = Size().Replace(text, "<size>");
        text = Percent().Replace(text, "(<pct>)");
        text = ManifestSize().Replace(text, "size: <n>");
        // script(1) passes the end of its input (/dev/null) on as a NUL, which the container's terminal echoes
        // whenever it arrives: before or after the output, on either daemon.
        text = text.Replace("^@", "", StringComparison.Ordinal);
        // The CLI pads table columns to the widest value, which the replacements above changed.
        text = Padding().Replace(text, "  ");
        return text;
    }

    [GeneratedRegex(@"sha256:[0-9a-f]{64}")]
    private static partial Regex Digest();

    [GeneratedRegex(@"\b[0-9a-f]{64}\b")]
    private static partial Regex LongId();

    [GeneratedRegex(@"\b[0-9a-f]{12}\b")]
    private static partial Regex ShortId();

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"no such image: ([^:\s]+(:[^:\s]+)?): No such image: \1")]
    private static partial Regex DoubledNoSuchImage();

    [GeneratedRegex(@"\b(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?)\b")]
    private static partial Regex Ago();

    [GeneratedRegex(@"\b\d+(\.\d+)?(B|kB|MB|GB|MiB|KiB|GiB)\b")]
    private static partial Regex Size();

    [GeneratedRegex(@"\(\d+%\)")]
    private static partial Regex Percent();

    [GeneratedRegex(@"size: \d+")]
    private static partial Regex ManifestSize();

    [GeneratedRegex(@" {2,}")]
    private static partial Regex Padding();
}
