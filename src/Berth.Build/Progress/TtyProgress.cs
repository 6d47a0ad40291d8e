using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Berth.Build.Progress;

/// <summary>BuildKit's live view for a terminal: one line per step with its state and time, the last lines of
/// output under a running step, redrawn in place (cursor up, erase) on every event and every 100 ms. Dispose
/// draws the final frame.</summary>
public sealed class TtyProgress : IBuildProgress, IDisposable
{
    private const int OutputLines = 6;
    private readonly TextWriter _writer;
    private readonly int _width;
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<StepState> _steps = [];
    private readonly List<string> _messages = [];
    private readonly Timer _timer;
    private int _drawnLines;
    private bool _done;

    private sealed class StepState(BuildStepInfo info)
    {
        public BuildStepInfo Info { get; } = info;
        public string State { get; set; } = "";
        public long StartedMs { get; set; }
        public double? Seconds { get; set; }
        public Queue<string> Tail { get; } = new();
        public bool Running => State == "" && Seconds is null;
    }

    public TtyProgress(TextWriter writer, int width)
    {
        _writer = writer;
        _width = Math.Max(40, width);
        _timer = new Timer(_ => Draw(), null, 100, 100);
    }

    private StepState Get(BuildStepInfo step)
    {
        var s = _steps.FirstOrDefault(x => x.Info.Number == step.Number);
        if (s is null)
        {
            s = new StepState(step) { StartedMs = _clock.ElapsedMilliseconds };
            _steps.Add(s);
        }
        return s;
    }

    private void Update(Action body)
    {
        lock (_gate) body();
        Draw();
    }

    public void Started(BuildStepInfo step) => Update(() => Get(step));
    public void Cached(BuildStepInfo step) => Update(() => { var s = Get(step); s.State = "CACHED "; s.Seconds = 0; });
    public void Running(BuildStepInfo step, string reason) => Update(() => Get(step));

    public void Output(BuildStepInfo step, string line) => Update(() =>
    {
        var s = Get(step);
        s.Tail.Enqueue(line);
        while (s.Tail.Count > OutputLines) s.Tail.Dequeue();
    });

    public void Done(BuildStepInfo step, TimeSpan elapsed) => Update(() =>
    {
        var s = Get(step);
        s.Seconds = elapsed.TotalSeconds;
        s.Tail.Clear();
    });

    public void Failed(BuildStepInfo step, string error) => Update(() =>
    {
        var s = Get(step);
        s.State = "ERROR ";
        s.Seconds = (_clock.ElapsedMilliseconds - s.StartedMs) / 1000.0;
        s.Tail.Enqueue("ERROR: " + error);
    });

    public void Canceled(BuildStepInfo step) => Update(() =>
    {
        var s = Get(step);
        if (s.State != "") return;
        s.State = "CANCELED ";
        s.Seconds = (_clock.ElapsedMilliseconds - s.StartedMs) / 1000.0;
        s.Tail.Clear();
    });

    public void Message(string text) => Update(() => _messages.Add(text));

    private void Draw()
    {
        lock (_gate)
        {
            if (_done) return;
            var frame = new StringBuilder();
            // From the start of the line: what the terminal echoed there (^C) must not shift the frame right, which
            // left the old header's first characters before the new one.
            frame.Append('\r');
            if (_drawnLines > 0) frame.Append($"\u001b[{_drawnLines}A");
            int lines = 0;
            void Line(string text)
            {
                if (text.Length > _width - 1) text = text[..(_width - 2)] + "…";
                frame.Append(text).Append("\u001b[K\n");
                lines++;
            }
            int finished = _steps.Count(s => !s.Running);
            string F(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
            Line($"[+] Building {F(_clock.Elapsed.TotalSeconds)} ({finished}/{_steps.Count})");
            foreach (var s in _steps)
            {
                double secs = s.Seconds ?? (_clock.ElapsedMilliseconds - s.StartedMs) / 1000.0;
                string head = $" => {s.State}{s.Info.Name}";
                string time = F(secs);
                int pad = Math.Max(1, _width - 1 - head.Length - time.Length);
                Line(head.Length + time.Length + 1 >= _width ? head : head + new string(' ', pad) + time);
                foreach (var t in s.Tail) Line(" => => # " + t);
            }
            foreach (var m in _messages) Line(m);
            // A shorter frame than the last one: clear what is left below.
            for (int i = lines; i < _drawnLines; i++) frame.Append("\u001b[K\n");
            if (_drawnLines > lines) frame.Append($"\u001b[{_drawnLines - lines}A");
            _drawnLines = lines;
            _writer.Write(frame.ToString());
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Draw();
        lock (_gate) _done = true;
    }
}
