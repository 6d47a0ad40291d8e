namespace Berth.Runtime.Tests.Integration;

/// <summary>The isolation probe: a shell script run as the container's command that prints one "key=value" line per
/// property, so berth and runc can be asked the same questions and their answers compared.</summary>
internal static class Probes
{
    public const string Script = """
        st() { grep "^$1:" /proc/self/status | cut -f2; }
        echo "self=$$"
        echo "pid1=$(tr '\0\n' '  ' < /proc/1/cmdline | cut -c1-20)"
        echo "hostname=$(hostname)"
        echo "capeff=$(st CapEff)"
        echo "capprm=$(st CapPrm)"
        echo "capbnd=$(st CapBnd)"
        echo "capinh=$(st CapInh)"
        echo "capamb=$(st CapAmb)"
        echo "seccomp=$(st Seccomp)"
        echo "nnp=$(st NoNewPrivs)"
        echo "id=$(id)"
        echo "hostprocs=$(ps -o comm | grep -c -E 'process_api|dotnet|berth|bash|runc|containerd|systemd|sshd|testhost')"
        echo "procs=$(ls /proc | grep -c -E '^[0-9]+$')"
        echo "hostmounts=$(cut -d' ' -f5 /proc/self/mountinfo | grep -c -E '^/(mnt|work|home|run|tmp|var|usr|etc)')"
        echo "rootmounts=$(cut -d' ' -f5 /proc/self/mountinfo | grep -c -E '^/$')"
        echo "kcore=$(cat /proc/kcore 2>/dev/null | wc -c)"
        echo "keys=$(cat /proc/keys 2>/dev/null | wc -c)"
        echo "timer_list=$(cat /proc/timer_list 2>/dev/null | wc -c)"
        echo "acpi=$(ls /proc/acpi 2>/dev/null | wc -l)"
        echo "firmware=$(ls /sys/firmware 2>/dev/null | wc -l)"
        echo "procsys=$( (echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo writable || echo readonly)"
        echo "sysfs=$( (echo 1 > /sys/kernel/profiling) 2>/dev/null && echo writable || echo readonly)"
        echo "cgroupfs=$(mkdir /sys/fs/cgroup/pids/x 2>/dev/null && echo writable || echo readonly)"
        echo "unshare=$(unshare -r true 2>/dev/null && echo allowed || echo denied)"
        echo "unshare_mnt=$(unshare -m true 2>/dev/null && echo allowed || echo denied)"
        echo "mount=$(mount -t tmpfs t /tmp 2>/dev/null && echo allowed || echo denied)"
        echo "nsenter=$(nsenter -t 1 -n true 2>/dev/null && echo allowed || echo denied)"
        echo "mknod=$(mknod /tmp/sda b 8 0 2>/dev/null && (head -c1 /tmp/sda >/dev/null 2>&1 && echo readable || echo denied) || echo nomknod)"; rm -f /tmp/sda
        echo "fds=$(ls /proc/self/fd | tr '\n' ' ')"
        echo "dev=$(ls /dev | tr '\n' ' ')"
        echo "net=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
        echo "cgroupns=$(cut -d: -f3 /proc/self/cgroup | sort -u | tr '\n' ' ')"
        echo "nofile=$(ulimit -n)"
        echo "mounts=$(cut -d' ' -f5,6 /proc/self/mountinfo | sort | tr ' \n' ':;')"
        """;

    public static Dictionary<string, string> Parse(string stdout)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = line.IndexOf('=');
            if (eq > 0) result[line[..eq]] = line[(eq + 1)..].Trim();
        }
        return result;
    }
}
