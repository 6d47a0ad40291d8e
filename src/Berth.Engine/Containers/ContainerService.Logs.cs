using System.Text;
using System.Text.Json;
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
    /// <summary><c>logs</c>: the json-file log's entries in order; with <see cref="LogOptions.Follow"/>, keeps
    /// reading new entries until the container is no longer running.</summary>
    public void Logs(ContainerRow row, LogOptions options, Action<LogEntry> write, CancellationToken ct)
    {
        var path = LogPathOf(row.Id);
        using var file = File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete) : null;
        var pending = new List<byte>();
        var first = new List<LogEntry>();
        bool Keep(LogEntry e)
        {
            if (options.Since is null && options.Until is null) return true;
            if (!DateTimeOffset.TryParse(e.Time, System.Globalization.CultureInfo.InvariantCulture, out var t)) return true;
            return (options.Since is not { } s || t >= s) && (options.Until is not { } u || t <= u);
        }
        void ReadAvailable(Action<LogEntry> sink)
        {
            if (file is null) return;
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = file.Read(buffer, 0, buffer.Length)) > 0)
            {
                var span = buffer.AsSpan(0, n);
                while (true)
                {
                    var nl = span.IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        pending.AddRange(span);
                        break;
                    }
                    pending.AddRange(span[..nl]);
                    var line = pending.ToArray();
                    pending.Clear();
                    span = span[(nl + 1)..];
                    if (line.Length == 0) continue;
                    LogEntry? entry;
                    try
                    {
                        entry = JsonSerializer.Deserialize(line, ContainerJsonContext.Default.LogEntry);
                    }
                    catch (JsonException)
                    {
                        continue;
                    }
                    if (entry is not null && Keep(entry)) sink(entry);
                }
            }
        }

        ReadAvailable(first.Add);
        var start = options.Tail is { } tail ? Math.Max(0, first.Count - tail) : 0;
        for (var i = start; i < first.Count; i++) write(first[i]);
        if (!options.Follow) return;
        while (!ct.IsCancellationRequested)
        {
            var running = Store.Metadata.GetContainer(row.Id) is { } now && Reconcile(now).Status == "running";
            ReadAvailable(write);
            if (!running) break;
            ct.WaitHandle.WaitOne(50);
        }
        ReadAvailable(write);
    }

    internal static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
