using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Berth.Engine;
using Berth.Cli.Output;
using Berth.Engine.Events;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary><c>berth events</c> (and <c>system events</c>): the store's event log as docker prints it, past events
/// from <c>--since</c>, then new ones as they happen until <c>--until</c> or Ctrl-C.</summary>
internal static class EventsCommand
{
    public static Command Create(string name = "events")
    {
        var since = new Option<string?>("--since") { Description = "Show all events created since timestamp (2013-01-02T13:23:37Z) or relative (42m)" };
        var until = new Option<string?>("--until") { Description = "Stream events until this timestamp" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "Filter output (container=, event=, image=, label=, network=, scope=, type=, volume=)" };
        var format = new Option<string?>("--format") { Description = "Format output using a Go template or json" };
        var c = new Command(name, "Get real time events from the server") { since, until, filter, format };
        CliContext.Bind((ctx, p, ct) =>
        {
            var now = DateTimeOffset.UtcNow;
            var filters = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var f in p.GetValue(filter) ?? [])
            {
                var eq = f.IndexOf('=');
                if (eq <= 0) throw BerthException.Invalid($"bad format of filter (expected name=value): {f}");
                var key = f[..eq];
                if (!EventFilter.Keys.Contains(key)) throw BerthException.Invalid($"invalid filter '{key}'");
                if (!filters.TryGetValue(key, out var list)) filters[key] = list = [];
                list.Add(f[(eq + 1)..]);
            }
            var from = p.GetValue(since) is { } s ? DockerTime.Parse(s, now) : (DateTimeOffset?)null;
            var to = p.GetValue(until) is { } u ? DockerTime.Parse(u, now) : (DateTimeOffset?)null;
            var fmt = p.GetValue(format);
            var template = string.IsNullOrEmpty(fmt) || fmt == "json" ? null : GoTemplate.Parse(fmt);
            var events = ctx.Engine.Events.ReadAsync(from, to, new EventFilter(filters.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value)),
                follow: true, ct);
            var e = events.GetAsyncEnumerator(ct);
            try
            {
                while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                {
                    var ev = e.Current;
                    var json = JsonSerializer.Serialize(ev, EventJsonContext.Default.EngineEvent);
                    ctx.Out.WriteLine(fmt == "json" ? json : template is not null ? template.Execute(json) : Line(ev));
                    ctx.Out.Flush();
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C ends the stream, as docker's.
                return 0;
            }
            finally
            {
                e.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return 0;
        })(c);
        return c;
    }

    /// <summary>docker's line: the time (RFC 3339 with nine fraction digits, local zone), type, action, actor and the
    /// attributes sorted by key.</summary>
    internal static string Line(EngineEvent e)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(e.TimeNano / 1_000_000_000).ToLocalTime();
        var offset = at.Offset == TimeSpan.Zero ? "Z" : at.ToString("zzz", CultureInfo.InvariantCulture);
        var time = at.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + (e.TimeNano % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture) + offset;
        var line = $"{time} {e.Type} {e.Action} {e.Actor.Id}";
        if (e.Actor.Attributes.Count > 0) line += " (" + string.Join(", ", e.Actor.Attributes.Select(kv => kv.Key + "=" + kv.Value)) + ")";
        return line;
    }
}
