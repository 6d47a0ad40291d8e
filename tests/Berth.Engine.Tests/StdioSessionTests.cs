using Berth.Testing;
using System.IO.Pipes;
using System.Text;
using Berth.Engine.Containers;
using Berth.Oci.Errors;

namespace Berth.Engine.Tests;

/// <summary>The engine's stdio sessions driven with plain streams, as the Engine API drives them with a hijacked
/// connection: no console, no terminal of this process, no signal handler.</summary>
[Collection("engine")]
public sealed class StdioSessionTests(BusyboxTar image)
{
    private readonly CancellationTokenSource _bound = Bounded();

    /// <summary>Every wait of these tests is bounded: a session that never ends fails the test.</summary>
    private static CancellationTokenSource Bounded()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(90));
        return cts;
    }

    private CancellationToken Ct => _bound.Token;

    /// <summary>An output stream a test can wait on: what was written so far, and a wait for a text to appear.</summary>
    private sealed class Captured : Stream
    {
        private readonly MemoryStream _bytes = new();
        private readonly Lock _lock = new();

        public string Text
        {
            get
            {
                lock (_lock) return Encoding.UTF8.GetString(_bytes.ToArray());
            }
        }

        /// <summary>Waits until <paramref name="text"/> appears after what an earlier wait matched.</summary>
        public void WaitFor(string text, ref int from)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                var i = Text.IndexOf(text, from, StringComparison.Ordinal);
                if (i >= 0)
                {
                    from = i + text.Length;
                    return;
                }
                Thread.Sleep(10);
            }
            Assert.Fail($"no \"{text}\" in the output: {Text}");
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (_lock) _bytes.Write(buffer, offset, count);
        }

        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public async Task AttachedRunAndExecRelayStreamsAndExitCodes()
    {
        // Input in, stdout and stderr apart, the exit code at the end: the whole contract of an attached run and of an
        // exec, with streams that are no descriptor of this process.
        using var e = new EngineUnderTest(image);
        var containers = e.Engine.Containers;
        var row = containers.Create(new ContainerRequest { Image = "busybox", OpenStdin = true, Cmd = ["sh", "-c", "cat; echo err >&2; exit 3"] }, Ct);
        var (stdout, stderr) = (new Captured(), new Captured());
        var session = await containers.StartAttachedAsync(row,
            new AttachStreams { Stdin = new MemoryStream("hello\n"u8.ToArray()), Stdout = stdout, Stderr = stderr }, Ct);
        Assert.Equal(new SessionEnd(3, Detached: false), await session.WaitAsync(Ct));
        Assert.Equal("hello\n", stdout.Text);
        Assert.Equal("err\n", stderr.Text);

        var sleeper = containers.Create(new ContainerRequest { Image = "busybox", Cmd = ["sleep", "60"] }, Ct);
        containers.StartDetached(sleeper, Ct);
        sleeper = containers.Resolve(sleeper.Id);
        var (execOut, execErr) = (new Captured(), new Captured());
        var exec = await containers.ExecAsync(sleeper, new ExecRequest { Command = ["sh", "-c", "cat; echo err >&2; exit 6"], Interactive = true },
            new AttachStreams { Stdin = new MemoryStream("in\n"u8.ToArray()), Stdout = execOut, Stderr = execErr }, Ct);
        Assert.Equal(6, (await exec.WaitAsync(Ct)).ExitCode);
        Assert.Equal("in\n", execOut.Text);
        Assert.Equal("err\n", execErr.Text);

        // Without a stderr stream both go to stdout, in the order written.
        var merged = new Captured();
        var both = await containers.ExecAsync(sleeper, new ExecRequest { Command = ["sh", "-c", "echo 1; echo 2 >&2; echo 3"] },
            new AttachStreams { Stdout = merged }, Ct);
        Assert.Equal(0, (await both.WaitAsync(Ct)).ExitCode);
        Assert.Equal("1\n2\n3\n", merged.Text);
    }

    [Fact]
    public async Task TerminalSessionTakesASizeResizesAndDetaches()
    {
        // A terminal comes in as a size and a raw byte stream; the detach keys are a value; after a detach the
        // container runs on and a new session attaches to it and gets its exit code.
        using var e = new EngineUnderTest(image);
        var containers = e.Engine.Containers;
        var row = containers.Create(new ContainerRequest { Image = "busybox", Tty = true, OpenStdin = true, Cmd = ["sh"] }, Ct);
        using var keys = new AnonymousPipeServerStream(PipeDirection.Out);
        using var typed = new AnonymousPipeClientStream(PipeDirection.In, keys.ClientSafePipeHandle);
        var screen = new Captured();
        var seen = 0;
        var session = await containers.StartAttachedAsync(row,
            new AttachStreams { Stdin = typed, Stdout = screen, Size = new TerminalSize(33, 101), DetachKeys = DetachKeys.Parse("ctrl-a,x") }, Ct);
        Assert.True(session.Tty);
        screen.WaitFor("# ", ref seen);
        keys.Write("stty size\r"u8);
        screen.WaitFor("33 101", ref seen);
        session.Resize(new TerminalSize(40, 120));
        // The resize goes through the container's monitor: asked again until it shows.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!screen.Text[seen..].Contains("40 120", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            keys.Write("stty size\r"u8);
            Thread.Sleep(100);
        }
        screen.WaitFor("40 120", ref seen);
        keys.Write("\u0001x"u8);
        Assert.Equal(new SessionEnd(0, Detached: true), await session.WaitAsync(Ct));
        Assert.Equal("running", containers.Reconcile(containers.Resolve(row.Id)).Status);

        using var keys2 = new AnonymousPipeServerStream(PipeDirection.Out);
        using var typed2 = new AnonymousPipeClientStream(PipeDirection.In, keys2.ClientSafePipeHandle);
        var again = await containers.AttachAsync(containers.Resolve(row.Id), new AttachStreams { Stdin = typed2, Stdout = new Captured() }, Ct);
        keys2.Write("exit 4\r"u8);
        Assert.Equal(new SessionEnd(4, Detached: false), await again.WaitAsync(Ct));
        // The writer first: the session's input thread, still reading, then sees the end of input (closing a pipe's
        // read end while a thread reads it waits for that read).
        keys2.Dispose();
        keys.Dispose();
    }

    [Fact]
    public void DetachKeysParseAsDockers()
    {
        // moby/term's ToBytes: one character, or ctrl- and a letter or @ [ \ ] ^ _, comma-separated; anything else is
        // refused in the daemon's words, which name no flag.
        Assert.Equal([0x10, 0x11], DetachKeys.Default.Sequence);
        Assert.Equal([1, (byte)'X'], DetachKeys.Parse("CTRL-A,X").Sequence);
        Assert.Equal([0, 27, 28, 29, 30, 31], DetachKeys.Parse("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").Sequence);
        Assert.Empty(DetachKeys.Parse("").Sequence);
        foreach (var bad in new[] { "ctrl-5", "bogus", "ctrl-", "a,,b", "ctrl-ab" })
        {
            var error = Assert.Throws<BerthException>(() => DetachKeys.Parse(bad));
            Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
            Assert.Equal($"Invalid detach keys ({bad}) provided", error.Message);
        }
    }
}
