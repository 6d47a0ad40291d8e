using System.IO.Pipes;
using Berth.Engine.Images;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Storage;
using Berth.Runtime.Process;

namespace Berth.Engine.Containers;

/// <summary>The monitor of a detached container: <c>berth monitor ROOT ID</c>, started by <c>run -d</c>/<c>start</c>.
/// It leaves the caller's session, becomes the parent of the container's init, reports one line on its stdout
/// ("ok", or "error\tCODE\tmessage") so the caller can exit, then copies the container's output into the
/// json-file log until the container exits, records the exit status (and OOM kill) in the metadata, cleans up the
/// runtime state, and removes the container for <c>--rm</c>. If the monitor dies the container runs on; readers
/// notice the monitor is gone (<see cref="ContainerService.Reconcile"/>).</summary>
public static class ContainerMonitor
{
    public const string Role = "monitor";
    internal const string Ok = "ok";

    public static int Run(string[] args)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("berth monitor: internal role, started by berth itself");
            return 125;
        }
        // Its own session: the terminal's hangup or Ctrl-C must not reach the monitor of a detached container.
        ProcessSession.NewSession();
        using var store = Store.Open(args[1]);
        var service = new ContainerService(store, new ImageService(store, TimeProvider.System), TimeProvider.System);
        var report = Console.OpenStandardOutput();
        void Report(string line)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
            report.Write(bytes);
            report.Flush();
        }

        Container container;
        Storage.Metadata.ContainerRow running;
        AnonymousPipeServerStream? stdout = null, stderr = null;
        bool tty, autoRemove;
        try
        {
            var row = service.Resolve(args[2]);
            var config = ContainerService.ConfigOf(row);
            tty = config.Request.Tty;
            autoRemove = config.Request.AutoRemove;
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
                stdio = new ContainerStdio { Stdin = devNull, Stdout = stdout.ClientSafePipeHandle, Stderr = stderr.ClientSafePipeHandle };
            }
            try
            {
                (container, running) = service.Launch(row, stdio);
            }
            catch (BerthException) when (autoRemove)
            {
                service.RemoveStopped(row.Id, removeVolumes: true);
                throw;
            }
            stdout?.DisposeLocalCopyOfClientHandle();
            stderr?.DisposeLocalCopyOfClientHandle();
        }
        catch (BerthException e)
        {
            var code = e is ContainerExecException x ? x.ExitCode : 125;
            Report($"error\t{code}\t{e.Message.ReplaceLineEndings(" ")}");
            return code;
        }
        Report(Ok);
        ProcessSession.StdioToDevNull();

        using (container)
        using (var log = new JsonLogWriter(service.LogPathOf(running.Id), TimeProvider.System))
        {
            var pumps = new List<Thread>();
            if (container.Console is { } master)
            {
                var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(master.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
                pumps.Add(Pump(() => log.Pump(stream, "stdout", null)));
            }
            if (stdout is not null) pumps.Add(Pump(() => log.Pump(stdout, "stdout", null)));
            if (stderr is not null) pumps.Add(Pump(() => log.Pump(stderr, "stderr", null)));
            // Idle for as long as the container runs: the database is closed (reopened to record the exit) and what
            // start-up left resident is given back; this thread reaps the init itself.
            store.Dispose();
            ProcessMemory.Trim();
            var status = container.Wait();
            // Output still in the pipes is the container's last words; a pty master reads EIO once the slave is gone.
            foreach (var p in pumps) p.Join(TimeSpan.FromSeconds(tty ? 1 : 5));
            using var finishing = Store.Open(args[1]);
            new ContainerService(finishing, new ImageService(finishing, TimeProvider.System), TimeProvider.System).Finish(running, status, autoRemove);
        }
        stdout?.Dispose();
        stderr?.Dispose();
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
