using System.Globalization;
using System.IO.Pipes;
using Berth.Engine.Images;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Storage;
using Berth.Storage.Locks;
using Berth.Runtime.Process;
using Berth.Interop;

namespace Berth.Engine.Containers;

/// <summary>The monitor of a detached container: <c>berth monitor ROOT ID</c>, started by <c>run -d</c>/<c>start</c>.
/// It leaves the caller's session, becomes the parent of the container's init, reports one line on its stdout
/// ("ok", or "error\tCODE\tmessage") so the caller can exit, then re-executes itself as <c>berth monitor ROOT ID
/// watch …</c> (same PID, so still the init's parent; only the output descriptors kept), which copies the
/// container's output into the json-file log until the container exits, records the exit status (and OOM kill) in
/// the metadata, cleans up the runtime state, and removes the container for <c>--rm</c>. If the monitor dies the
/// container runs on; readers notice the monitor is gone (<see cref="ContainerService.Reconcile"/>).</summary>
public static class ContainerMonitor
{
    public const string Role = "monitor";
    internal const string Ok = "ok";
    private const string WatchRole = "watch";
    /// <summary>Last argument of a monitor started by a restart policy: it gives way to a user's stop.</summary>
    internal const string PolicyRestart = "policy-restart";
    /// <summary>Last argument of a monitor whose starter attaches at once (<c>run -it</c>): the container's output
    /// waits for that client, so it sees the first prompt.</summary>
    internal const string AttachFirst = "attach-first";

    public static int Run(string[] args)
    {
        if (WatchArgs.Parse(args) is { } watching) return Watch(watching);
        if (args is [_, var healthRoot, var healthId, ContainerService.HealthRole, var pidStart]) return Probe(healthRoot, healthId, pidStart);
        if (args.Length != 3 && !(args.Length == 4 && args[3] is PolicyRestart or AttachFirst))
        {
            Console.Error.WriteLine("berth monitor: internal role, started by berth itself");
            return 125;
        }
        // Its own session: the terminal's hangup or Ctrl-C must not reach the monitor of a detached container.
        ProcessSession.NewSession();
        // The options of the berth that started this monitor, from its environment; the store from the arguments.
        var options = EngineOptions.FromEnvironment() with { Root = args[1] };
        using var engine = new BerthEngine(options);
        var service = engine.Containers;
        var report = Console.OpenStandardOutput();
        void Report(string line)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
            report.Write(bytes);
            report.Flush();
        }

        Container container;
        Storage.Metadata.ContainerRow running;
        AnonymousPipeServerStream? stdout = null, stderr = null, stdin = null;
        bool tty, autoRemove, interactive;
        JsonFileOptions? logOptions;
        try
        {
            // The container's lock, which whoever started us holds and passed as our stdin: held until we report,
            // so no rm runs halfway through the start (StdioToDevNull gives it up).
            var held = FileLock.Inherited(0, engine.Store.ContainerLockPath(args[2]));
            var row = service.Resolve(args[2]);
            var config = ContainerService.ConfigOf(row);
            tty = config.Request.Tty;
            autoRemove = config.Request.AutoRemove;
            interactive = config.Request.OpenStdin;
            logOptions = config.Request.LogConfig.Validate();
            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            ContainerStdio stdio;
            if (tty)
            {
                stdio = new ContainerStdio { Stdin = devNull, Stdout = devNull, Stderr = devNull };
            }
            else
            {
                stdout = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
                stderr = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
                // -i: stdin stays open, fed by whoever attaches.
                if (interactive) stdin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
                stdio = new ContainerStdio
                {
                    Stdin = stdin is null ? devNull : stdin.ClientSafePipeHandle, Stdout = stdout.ClientSafePipeHandle, Stderr = stderr.ClientSafePipeHandle,
                };
            }
            // The log exists before the start is reported (the watch below writes it from a re-executed image,
            // which takes a while to start): a follower that looked in between would find nothing to follow.
            if (logOptions is not null) JsonLogWriter.Create(service.LogPathOf(row.Id));
            try
            {
                (container, running) = service.Launch(row, stdio, byPolicy: args is [_, _, _, PolicyRestart], held);
            }
            catch (BerthException) when (autoRemove)
            {
                service.RemoveStopped(row.Id, removeVolumes: true, held: held);
                throw;
            }
            stdout?.DisposeLocalCopyOfClientHandle();
            stderr?.DisposeLocalCopyOfClientHandle();
            stdin?.DisposeLocalCopyOfClientHandle();
        }
        catch (BerthException e)
        {
            var code = e is ContainerExecException x ? x.ExitCode : 125;
            Report($"error\t{code}\t{e.Message.ReplaceLineEndings(" ")}");
            return code;
        }
        Report(Ok);
        ProcessSession.StdioToDevNull();

        // From here on the monitor only copies output and waits: it re-executes itself to shed what start-up left
        // resident (SQLite, serializer metadata, the runtime's code paths), which no trimming can give back safely.
        // execve keeps the PID, so it stays the init's parent, and only the descriptors it needs.
        // No log file for the none driver: the output still goes to attached clients.
        var logPath = logOptions is null ? NoLog : service.LogPathOf(running.Id);
        engine.Dispose();
        var handles = new[] { stdout?.SafePipeHandle, stderr?.SafePipeHandle, (System.Runtime.InteropServices.SafeHandle?)container.Console, stdin?.SafePipeHandle };
        var fds = handles.Select(h => h is null ? -1 : (int)h.DangerousGetHandle()).ToArray();
        var watch = new WatchArgs(args[1], running.Id, container.Pid, tty, autoRemove, interactive, args is [_, _, _, AttachFirst], logPath,
            logOptions ?? JsonFileOptions.Unlimited, fds[0], fds[1], fds[2], fds[3]);
        // The descriptors now belong to the watch (this image's or the next): nothing here may close them.
        foreach (var h in handles) h?.SetHandleAsInvalid();
        ProcessLauncher.ExecSelf(watch.ToArgs(), handles.OfType<System.Runtime.InteropServices.SafeHandle>().ToList());
        // execve failed: watch from this image.
        container.Dispose();
        return Watch(watch);
    }

    /// <summary>What <c>berth monitor ROOT ID watch …</c> gets on its command line: the container, its init, and the
    /// descriptors of its output (-1 for none).</summary>
    private sealed record WatchArgs(string Root, string Id, int Pid, bool Tty, bool AutoRemove, bool Interactive, bool AttachFirst,
        string LogPath, JsonFileOptions Rotation, int Stdout, int Stderr, int Console, int Stdin)
    {
        public IReadOnlyList<string> ToArgs() =>
        [
            "berth", Role, Root, Id, WatchRole, Number(Pid), Tty ? "tty" : "-", AutoRemove ? "rm" : "-", Interactive ? "i" : "-", AttachFirst ? "a" : "-", LogPath,
            Rotation.MaxSize is { } size ? size.ToString(CultureInfo.InvariantCulture) : "-", Number(Rotation.MaxFile), Rotation.Compress ? "gz" : "-",
            Number(Stdout), Number(Stderr), Number(Console), Number(Stdin),
        ];

        public static WatchArgs? Parse(string[] a)
        {
            if (a is not [_, var root, var id, WatchRole, var pid, var tty, var rm, var i, var first, var log, var size, var files, var gz, var o, var e, var c, var n]) return null;
            static int Int(string s) => int.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            var rotation = new JsonFileOptions
            {
                MaxSize = size == "-" ? null : long.Parse(size, CultureInfo.InvariantCulture), MaxFile = Int(files), Compress = gz == "gz",
            };
            return new WatchArgs(root, id, Int(pid), tty == "tty", rm == "rm", i == "i", first == "a", log, rotation, Int(o), Int(e), Int(c), Int(n));
        }

        private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The log path of a watch that writes no log (the none driver).</summary>
    private const string NoLog = "-";

    /// <summary>The idle half of the monitor: copies the container's output into its json-file log until the init
    /// exits, then records the exit status (and OOM kill), cleans up the runtime state, and removes the container for
    /// <c>--rm</c>.</summary>
    private static int Watch(WatchArgs w)
    {
        using (var log = w.LogPath == NoLog ? null : new JsonLogWriter(w.LogPath, w.Rotation, TimeProvider.System))
        {
            var pumps = new List<Thread>();
            FileStream? Open(int fd) => fd < 0 ? null : new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
            using var console = Open(w.Console);
            using var stdout = Open(w.Stdout);
            using var stderr = Open(w.Stderr);
            // What an attached client types: the pty with a terminal, else the stdin pipe of -i.
            using var input = !w.Interactive ? null
                : w.Console >= 0 ? new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(w.Console, ownsHandle: false), FileAccess.Write, 1)
                : w.Stdin >= 0 ? new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(w.Stdin, ownsHandle: true), FileAccess.Write, 1)
                : null;
            if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
            var options = EngineOptions.FromEnvironment() with { Root = w.Root };
            using var pty = w.Console >= 0 ? new SafeFdHandle(w.Console, ownsHandle: false) : null;
            var attach = new AttachServer(options.AttachDir, w.Id, w.Tty, input,
                pty is null ? null : size => Terminal.TrySetSize(pty, size.Height, size.Width));
            var (toStdout, toStderr) = (attach.Output(1), attach.Output(2));
            // Bounded: a starter that died before attaching must not keep the container's output blocked for good.
            if (w.AttachFirst) attach.WaitForFirstClient(TimeSpan.FromSeconds(30));
            // Without a log the pumps still read on after a failed echo: the attach clients' streams never fail.
            if (console is not null) pumps.Add(Pump(() => JsonLogWriter.Pump(console, "stdout", log, toStdout)));
            if (stdout is not null) pumps.Add(Pump(() => JsonLogWriter.Pump(stdout, "stdout", log, toStdout)));
            if (stderr is not null) pumps.Add(Pump(() => JsonLogWriter.Pump(stderr, "stderr", log, toStderr)));
            ProcessMemory.Trim();
            // This process is the init's parent: it reaps it itself.
            var waitStatus = ProcessLauncher.Wait(w.Pid);
            // Output still in the pipes is the container's last words; a pty master reads EIO once the slave is gone.
            foreach (var p in pumps) p.Join(TimeSpan.FromSeconds(w.Tty ? 1 : 5));
            using var engine = new BerthEngine(options);
            var service = engine.Containers;
            var store = engine.Store;
            // An rm -f may have removed the container (and its runtime state) as soon as it was dead.
            var status = service.Runtime.ExitStatusOf(w.Id, waitStatus);
            if (store.Metadata.GetContainer(w.Id) is { } running) service.Finish(running, status, w.AutoRemove);
            attach.Exited(store.Metadata.GetContainer(w.Id) is { Status: not "running" } recorded ? recorded.ExitCode : status.ExitCode);
            // Attached clients see the end of the output once the exit code is there to read.
            attach.Dispose();
            if (!w.AutoRemove) service.RestartIfDue(w.Id);
        }
        return 0;
    }

    /// <summary><c>berth monitor ROOT ID health PIDSTART</c>: the health checks of one run of a container
    /// (<see cref="ContainerService.ProbeUntilExitAsync"/>), in a session of its own like the monitor.</summary>
    private static int Probe(string root, string id, string pidStart)
    {
        ProcessSession.NewSession();
        var options = EngineOptions.FromEnvironment() with { Root = root };
        using var engine = new BerthEngine(options);
        // The process's entry point: the one place the prober blocks on its loop.
        engine.Containers.ProbeUntilExitAsync(id, ulong.Parse(pidStart, CultureInfo.InvariantCulture), CancellationToken.None).GetAwaiter().GetResult();
        return 0;
    }

    private static Thread Pump(Action body)
    {
        // A small stack: the copy loop is shallow, and an idle monitor should be small (DESIGN.md § Runtime).
        var t = new Thread(() => body(), 256 * 1024) { IsBackground = true, Name = "berth-monitor-log" };
        t.Start();
        return t;
    }
}
