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
        if (ConfigOf(row).Request.LogConfig.Type != LogConfig.JsonFile)
            throw new BerthException(ErrorKind.NotImplemented, "configured logging driver does not support reading");
        var reader = new JsonLogReader(LogPathOf(row.Id), options, sink);
        reader.Read(() => Store.Metadata.GetContainer(row.Id) is { } now && Reconcile(now).Status == "running", ct);
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
