using Berth.Oci.Errors;

namespace Berth.Engine.Tests;

/// <summary>The one reader of docker's --since/--until times, for the CLI and the Engine API alike.</summary>
public sealed class DockerTimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1700000000", 1700000000L * TimeSpan.TicksPerSecond)]
    // The docker CLI sends SECONDS.NANOSECONDS: kept to the tick, not cut to the millisecond.
    [InlineData("1700000000.123456789", 1700000000L * TimeSpan.TicksPerSecond + 1234567)]
    [InlineData("2023-11-14T22:13:20.0000001Z", 1700000000L * TimeSpan.TicksPerSecond + 1)]
    public void AbsoluteTimes(string text, long ticksSinceEpoch) =>
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(ticksSinceEpoch), DockerTime.Parse(text, Now));

    [Theory]
    [InlineData("10m", 600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1_500)]
    public void DurationsAreBeforeNow(string text, long milliseconds) =>
        Assert.Equal(Now - TimeSpan.FromMilliseconds(milliseconds), DockerTime.Parse(text, Now));

    [Theory]
    [InlineData("yesterday")]
    [InlineData("5x")]
    [InlineData("m")]
    public void AnythingElseIsRefusedNamingIt(string text)
    {
        var e = Assert.Throws<BerthException>(() => DockerTime.Parse(text, Now));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(text, e.Message);
    }
}
