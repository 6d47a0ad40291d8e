using Microsoft.AspNetCore.Http;

namespace Berth.Api;

/// <summary>Gives memory back when the daemon goes quiet: <see cref="Delay"/> after the last request began or ended
/// (and after start-up), one full, compacting collection that also returns the heap's free regions to the system
/// (<see cref="GCCollectionMode.Aggressive"/>). A daemon is idle most of its life; without this it keeps the heap a
/// burst of requests grew (a 100-container <c>ps</c>, a pull) until the next burst. One collection of a small
/// heap per quiet spell costs a few milliseconds; streams that stay open (events, logs -f, attach) do not keep it
/// from happening, as they allocate next to nothing while they wait.</summary>
internal sealed class IdleMemory : IDisposable
{
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private readonly ITimer _timer;

    public IdleMemory(TimeProvider time) =>
        _timer = time.CreateTimer(_ => Release(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>The middleware: each request moves the release to <see cref="Delay"/> after its start and its end.</summary>
    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        Touch();
        try
        {
            await next(ctx);
        }
        finally
        {
            Touch();
        }
    }

    /// <summary>Something happened: the release is due <see cref="Delay"/> from now.</summary>
    public void Touch() => _timer.Change(Delay, Timeout.InfiniteTimeSpan);

    private static void Release() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    public void Dispose() => _timer.Dispose();
}
