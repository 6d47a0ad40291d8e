using System.Text.Json;
using System.Text.Json.Serialization;
using static Berth.Engine.Interop.Interop;

namespace Berth.Engine.Containers;

/// <summary>What the exec helper needs to become the exec'd process; sent over its sync socket.</summary>
public sealed record ExecConfig
{
    [JsonPropertyName("args")] public required IReadOnlyList<string> Args { get; init; }
    [JsonPropertyName("env")] public required IReadOnlyList<string> Env { get; init; }
    [JsonPropertyName("cwd")] public required string Cwd { get; init; }
    [JsonPropertyName("uid")] public uint Uid { get; init; }
    [JsonPropertyName("gid")] public uint Gid { get; init; }
    [JsonPropertyName("groups")] public IReadOnlyList<uint> Groups { get; init; } = [];
    [JsonPropertyName("bounding")] public ulong Bounding { get; init; }
    [JsonPropertyName("effective")] public ulong Effective { get; init; }
    [JsonPropertyName("permitted")] public ulong Permitted { get; init; }
    [JsonPropertyName("inheritable")] public ulong Inheritable { get; init; }
    [JsonPropertyName("ambient")] public IReadOnlyList<int> Ambient { get; init; } = [];
    [JsonPropertyName("noNewPrivileges")] public bool NoNewPrivileges { get; init; }
    [JsonPropertyName("tty")] public bool Tty { get; init; }
    /// <summary>(resource number, soft, hard).</summary>
    [JsonPropertyName("rlimits")] public IReadOnlyList<ulong[]> Rlimits { get; init; } = [];
}

/// <summary>A message from the exec helper: "console" (the pty master attached) or "error" (with the exit code).</summary>
public sealed record ExecMessage
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("code")] public int Code { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
}

/// <summary>The exec helper: <c>berth monitor exec</c>, spawned by <c>berth exec</c> already inside the container's
/// PID, IPC, UTS, network and cgroup namespaces (and moved into its cgroup), with the container's mount namespace on
/// fd 4 and the sync socket on fd 3. On its main thread — the one execve keeps — it leaves the shared filesystem
/// context (<c>unshare(CLONE_FS)</c>) so it may join the mount namespace, which also makes the container's root its
/// root; then it changes directory, sets up a pty, switches credentials and capabilities, and executes the command.
/// The sync socket closes on exec: end of stream tells the caller the command runs. Everything that may load code
/// from disk (JSON, the first call into libc) happens before the mount namespace changes.</summary>
internal static class ExecHelper
{
    private const int SyncFd = 3, MountNsFd = 4;

    public static int Run()
    {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        var buffer = new byte[1 << 20];
        var n = Receive(SyncFd, buffer, out _);
        if (n <= 0) return 125;
        var config = JsonSerializer.Deserialize(buffer.AsSpan(0, n), ContainerJsonContext.Default.ExecConfig);
        if (config is null) return 125;
        // Used once now so that nothing is loaded lazily after the root changed.
        _ = Message("warmup", 0, "");

        if (unshare(CLONE_FS) != 0) return Fail(125, $"unshare(CLONE_FS): errno {LastErrno}");
        if (setns(MountNsFd, CLONE_NEWNS) != 0) return Fail(125, $"setns(mnt): errno {LastErrno}");
        close(MountNsFd);
        if (chdir(config.Cwd) != 0)
            return Fail(126, $"exec failed: unable to start container process: chdir to cwd (\"{config.Cwd}\") set in config.json failed: {Errno(LastErrno)}");

        if (config.Tty)
        {
            var (master, slave) = OpenPty();
            if (master < 0) return Fail(125, $"open /dev/ptmx: {Errno(slave)}");
            Send(SyncFd, Message("console", 0, ""), master);
            close(master);
            setsid();
            ioctl(slave, TIOCSCTTY, 0);
            for (var fd = 0; fd <= 2; fd++) dup2(slave, fd);
            if (slave > 2) close(slave);
        }

        var path = LookPath(config.Args[0], config.Env, out var code, out var why);
        if (path is null) return Fail(code, why!);

        foreach (var r in config.Rlimits)
            if (r.Length == 3) SetRlimit((int)r[0], r[1], r[2]);
        for (var c = 0; c < 64; c++)
        {
            if ((config.Bounding & (1UL << c)) != 0) continue;
            if (prctl(PR_CAPBSET_DROP, (ulong)c, 0, 0, 0) != 0 && LastErrno == EINVAL) break;
        }
        prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
        if (setgroups_thread(config.Groups.ToArray()) != 0) return Fail(125, $"setgroups: {Errno(LastErrno)}");
        if (setresgid_thread(config.Gid, config.Gid, config.Gid) != 0) return Fail(125, $"setresgid: {Errno(LastErrno)}");
        if (setresuid_thread(config.Uid, config.Uid, config.Uid) != 0) return Fail(125, $"setresuid: {Errno(LastErrno)}");
        prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        if (SetCapabilities(config.Effective, config.Permitted, config.Inheritable) != 0) return Fail(125, $"capset: {Errno(LastErrno)}");
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        foreach (var a in config.Ambient) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (ulong)a, 0, 0);
        if (config.NoNewPrivileges) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);

        var errno = Exec(path, config.Args, config.Env);
        return Fail(errno is ENOENT or ENOTDIR ? 127 : 126, $"exec: \"{config.Args[0]}\": {Errno(errno)}");
    }

    /// <summary>PATH lookup as execvp would do it, inside the container: 127 when nothing is found, 126 when only
    /// something not executable is.</summary>
    private static string? LookPath(string file, IReadOnlyList<string> env, out int code, out string? why)
    {
        code = 0;
        why = null;
        if (file.Contains('/'))
        {
            if (access(file, F_OK) != 0)
            {
                code = 127;
                why = $"exec failed: unable to start container process: exec: \"{file}\": stat {file}: no such file or directory";
                return null;
            }
            if (access(file, X_OK) != 0 || IsDirectory(file))
            {
                code = 126;
                why = $"exec failed: unable to start container process: exec: \"{file}\": permission denied";
                return null;
            }
            return file;
        }
        var path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        var denied = false;
        foreach (var dir in path.Split(':'))
        {
            var candidate = (dir.Length == 0 ? "." : dir) + "/" + file;
            if (access(candidate, F_OK) != 0) continue;
            if (access(candidate, X_OK) == 0 && !IsDirectory(candidate)) return candidate;
            denied = true;
        }
        code = denied ? 126 : 127;
        why = denied
            ? $"exec failed: unable to start container process: exec: \"{file}\": permission denied"
            : $"exec failed: unable to start container process: exec: \"{file}\": executable file not found in $PATH";
        return null;
    }

    private static bool IsDirectory(string path)
    {
        var fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) return false;
        close(fd);
        return true;
    }

    private static string Errno(int errno) => errno switch
    {
        ENOENT => "no such file or directory",
        ENOTDIR => "not a directory",
        EACCES => "permission denied",
        _ => $"errno {errno}",
    };

    private static byte[] Message(string type, int code, string message) =>
        JsonSerializer.SerializeToUtf8Bytes(new ExecMessage { Type = type, Code = code, Message = message }, ContainerJsonContext.Default.ExecMessage);

    private static int Fail(int code, string message)
    {
        Send(SyncFd, Message("error", code, message));
        return code;
    }
}
