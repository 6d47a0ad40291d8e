using System.Runtime.ExceptionServices;

namespace Berth.Archive;

/// <summary>
/// A few threads that create the small regular files of one apply, so their journal waits overlap while the
/// reader goes on parsing the archive in order. The reader decides what may run concurrently (see
/// <see cref="LayerApplication"/>); this class only queues, bounds and drains.
/// <para>Lifecycle: <see cref="Add"/> queues a file, waiting while the files or bytes in flight are at their
/// caps. <see cref="Drain"/> waits until every queued file is written. A worker failure stops the pool: queued
/// files are dropped, and the next <see cref="Add"/> or <see cref="Drain"/> rethrows the failure of the earliest
/// file in archive order. Cancellation drops queued files too. <see cref="Dispose"/> drops what is left and
/// joins every thread, so no worker outlives the apply.</para>
/// </summary>
internal sealed class FileWriterPool : IDisposable
{
    private readonly object _lock = new(); // Monitor.Wait/Pulse: not System.Threading.Lock
    private readonly Queue<PendingFile> _queue = new();
    private readonly List<Thread> _threads = [];
    private readonly Action<PendingFile> _write;
    private readonly int _maxThreads;
    private readonly int _maxFiles;
    private readonly long _maxBytes;
    private readonly CancellationToken _ct;
    private readonly SemaphoreSlim _readerWake = new(0);
    private bool _readerWaiting;
    private int _idle;
    private int _unfinished;
    private long _bytes;
    private bool _stopping;
    private long _failedSequence = long.MaxValue;
    private Exception? _failure;

    public FileWriterPool(int threads, int maxFiles, long maxBytes, Action<PendingFile> write, CancellationToken ct)
    {
        _maxThreads = threads;
        _maxFiles = maxFiles;
        _maxBytes = maxBytes;
        _write = write;
        _ct = ct;
    }

    /// <summary>Queues <paramref name="file"/>, which the pool then owns (also when this throws).</summary>
    public void Add(PendingFile file)
    {
        try
        {
            // One file larger than the byte cap still goes, alone.
            WaitUntil(() => _unfinished < _maxFiles && (_unfinished == 0 || _bytes + file.Length <= _maxBytes));
        }
        catch
        {
            file.Dispose();
            throw;
        }

        lock (_lock)
        {
            _queue.Enqueue(file);
            _unfinished++;
            _bytes += file.Length;
            // Threads start on demand: a layer of a few files never pays for eight.
            if (_idle < _queue.Count && _threads.Count < _maxThreads)
            {
                Thread thread = new(Work, maxStackSize: 256 << 10) { IsBackground = true, Name = "berth-apply" };
                _threads.Add(thread);
                thread.Start();
            }
            else
            {
                Monitor.Pulse(_lock);
            }
        }
    }

    /// <summary>Waits until every queued file is written; throws the earliest worker failure.</summary>
    public void Drain() => WaitUntil(() => _unfinished == 0);

    /// <summary>After the reader itself failed: waits for the workers without a token and rethrows a worker
    /// failure if there is one, since it belongs to an earlier entry than the reader's.</summary>
    public void ThrowEarlierFailure()
    {
        while (true)
        {
            lock (_lock)
            {
                if (_unfinished == 0)
                {
                    if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
                    return;
                }

                _readerWaiting = true;
            }

            _readerWake.Wait(CancellationToken.None);
        }
    }

    private void WaitUntil(Func<bool> ready)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
                _ct.ThrowIfCancellationRequested();
                if (ready()) return;
                _readerWaiting = true;
            }

            _readerWake.Wait(_ct);
        }
    }

    private void Work()
    {
        while (true)
        {
            PendingFile file;
            bool skip;
            lock (_lock)
            {
                _idle++;
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_lock);
                _idle--;
                if (_queue.Count == 0) return;
                file = _queue.Dequeue();
                // A failure recorded by now belongs to a file dequeued earlier, so earlier in the archive.
                skip = _failure is not null || _ct.IsCancellationRequested;
            }

            Exception? error = null;
            try
            {
                if (!skip) _write(file);
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                file.Dispose();
            }

            lock (_lock)
            {
                if (error is not null && file.Sequence < _failedSequence)
                {
                    _failedSequence = file.Sequence;
                    _failure = error;
                }

                _unfinished--;
                _bytes -= file.Length;
                if (error is not null || _ct.IsCancellationRequested) DropQueued();
                if (_readerWaiting)
                {
                    _readerWaiting = false;
                    _readerWake.Release();
                }
            }
        }
    }

    /// <summary>Under the lock: forgets queued files that will not be written.</summary>
    private void DropQueued()
    {
        while (_queue.TryDequeue(out PendingFile? file))
        {
            _unfinished--;
            _bytes -= file.Length;
            file.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            DropQueued();
            Monitor.PulseAll(_lock);
        }

        foreach (Thread thread in _threads) thread.Join();
        _readerWake.Dispose();
    }
}
