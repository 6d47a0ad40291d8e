using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

public sealed record LogOptions
{
    public bool Follow { get; init; }
    /// <summary>Only the last N lines; null for all.</summary>
    public int? Tail { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
}

public sealed partial class ContainerService
{
    /// <summary><c>logs</c>: the json-file log's entries in order, across its rotated files, streamed in bounded
    /// memory (<see cref="JsonLogReader"/>); with <see cref="LogOptions.Follow"/>, keeps reading new entries until the
    /// container is no longer running. A container logging to <c>none</c> has nothing to read (docker's error).</summary>
    public void Logs(ContainerRow row, LogOptions options, ILogSink sink, CancellationToken ct)
    {
        using var log = OpenLog(row, options);
        log.Read(sink, ct);
    }

    /// <summary>Opens the log's files for <see cref="ContainerLog.Read"/>: a front end opens them before it answers,
    /// so a client that removes the container as soon as it has the answer (docker-py's <c>run(remove=True)</c>
    /// reads the follow stream after its <c>DELETE</c>) still gets the whole output.</summary>
    public ContainerLog OpenLog(ContainerRow row, LogOptions options)
    {
        if (ConfigOf(row).Request.LogConfig.Type != LogConfig.JsonFile)
            throw new BerthException(ErrorKind.NotImplemented, "configured logging driver does not support reading");
        var id = row.Id;
        return new ContainerLog(new JsonLogReader(LogPathOf(id), options),
            () => Store.Metadata.GetContainer(id) is { } now && Reconcile(now).Status == "running");
    }

    /// <summary><see cref="Logs(ContainerRow, LogOptions, ILogSink, CancellationToken)"/> as records, one per entry.</summary>
    public void Logs(ContainerRow row, LogOptions options, Action<LogEntry> write, CancellationToken ct) =>
        Logs(row, options, new EntrySink(write), ct);

    private sealed class EntrySink(Action<LogEntry> write) : ILogSink
    {
        public void Write(bool stderr, ReadOnlySpan<byte> time, ReadOnlySpan<byte> text) => write(new LogEntry
        {
            Log = System.Text.Encoding.UTF8.GetString(text), Stream = stderr ? "stderr" : "stdout", Time = System.Text.Encoding.UTF8.GetString(time),
        });

        public void Flush()
        {
        }
    }
}

/// <summary>A container's log opened for reading (<see cref="ContainerService.OpenLog"/>).</summary>
public sealed class ContainerLog : IDisposable
{
    private readonly JsonLogReader _reader;
    private readonly Func<bool> _running;

    internal ContainerLog(JsonLogReader reader, Func<bool> running)
    {
        _reader = reader;
        _running = running;
    }

    /// <summary>Writes the entries to the sink; with <see cref="LogOptions.Follow"/>, until the container stops.</summary>
    public void Read(ILogSink sink, CancellationToken ct) => _reader.Read(sink, _running, ct);

    public void Dispose() => _reader.Dispose();
}
