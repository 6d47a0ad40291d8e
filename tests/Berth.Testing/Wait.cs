using Xunit;

namespace Berth.Testing;

/// <summary>Waiting for a state rather than for a time: polls a condition until it holds, bounded, so that a loaded
/// machine makes a test slower, never wrong.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> every <paramref name="interval"/> (10 ms) until it holds; false
    /// when <paramref name="timeout"/> passes first (it is asked once more at the end).</summary>
    public static bool Until(Func<bool> condition, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return condition();
            Thread.Sleep(interval ?? TimeSpan.FromMilliseconds(10));
        }
        return true;
    }

    /// <summary>As <see cref="Until"/>, failing the test with <paramref name="what"/> on timeout.</summary>
    public static void For(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        Assert.True(Until(condition, limit), $"gave up after {limit.TotalSeconds:0.#} s waiting for {what}");
    }
}
