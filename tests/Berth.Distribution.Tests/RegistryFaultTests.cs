using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>berth pull against a registry that misbehaves: each fault gives an error naming the registry, the
/// repository and the digest, exit 1, and a store with nothing referenced (system check clean).</summary>
public sealed class RegistryFaultTests
{
    private static (Installation Dir, Testing.Berth Berth) Install()
    {
        var i = new Installation();
        return (i, i.Berth);
    }

    private static void AssertNothingStored(Testing.Berth berth)
    {
        Assert.Equal("", berth.Ok("images", "-q").Trim());
        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0 && check.Stdout.Contains("0 images, 0 tags: ok", StringComparison.Ordinal), check.ToString());
    }

    [Theory]
    [InlineData(Fault.DigestMismatch, "digest sha256:")]
    [InlineData(Fault.TruncatedBody, "truncated: the body ended after")]
    [InlineData(Fault.NotATarLayer, "not a tar archive")]
    public void ABadLayerFailsThePullAndLeavesNothing(Fault fault, string why)
    {
        // A layer that is not what the manifest promises must never become part of an image.
        var (dir, berth) = Install();
        using var _ = dir;
        using var registry = new FakeRegistry(fault);
        var r = berth.RunTimed(TimeSpan.FromSeconds(60), "pull", registry.Image);
        r.AssertExit(1, why);
        Assert.Contains($"{registry.Host}/fake/app", r.Stderr);
        Assert.Contains(registry.LayerDigest, r.Stderr);
        AssertNothingStored(berth);
    }

    [Fact]
    public void AConnectionCutMidLayerIsResumedWithARangeRequest()
    {
        // A broken download goes on from where it stopped instead of failing the pull or starting over.
        var (dir, berth) = Install();
        using var _ = dir;
        using var registry = new FakeRegistry(Fault.CutOnceThenResume);
        var r = berth.RunTimed(TimeSpan.FromSeconds(60), "pull", registry.Image);
        r.AssertExit(0);
        Assert.Equal(2, registry.BlobRequests);
        Assert.Contains("hello", berth.Ok("image", "inspect", "--format", "{{json .Config.Cmd}}", registry.Image));
        var check = berth.Run("system", "check");
        Assert.True(check.ExitCode == 0 && check.Stdout.Contains("1 images, 1 tags: ok", StringComparison.Ordinal), check.ToString());
    }

    [Fact]
    public void AMissingManifestIsNotFoundNamingTheReference()
    {
        // dockerd: "manifest for NAME not found:" and the registry's code and message.
        var (dir, berth) = Install();
        using var _ = dir;
        using var registry = new FakeRegistry(Fault.ManifestNotFound);
        berth.RunTimed(TimeSpan.FromSeconds(60), "pull", registry.Image).AssertExit(1, $"manifest for {registry.Host}/fake/app:1 not found: manifest unknown: manifest unknown");
        AssertNothingStored(berth);
    }

    [Fact]
    public void UnauthorizedWithoutCredentialsSaysSo()
    {
        // The user must learn that they need to log in, not see a generic failure.
        var (dir, berth) = Install();
        using var _ = dir;
        using var registry = new FakeRegistry(Fault.Unauthorized);
        berth.RunTimed(TimeSpan.FromSeconds(60), "pull", registry.Image).AssertExit(1, $"{registry.Host}/fake/app: manifest 1: unauthorized: authentication required");
        AssertNothingStored(berth);
    }

    [Fact]
    public void TooManyRequestsIsRetriedAfterRetryAfter()
    {
        // A rate-limited registry that asks to come back in a second gets the request again, once it is due.
        var (dir, berth) = Install();
        using var _ = dir;
        using var registry = new FakeRegistry(Fault.TooManyRequestsOnce);
        berth.RunTimed(TimeSpan.FromSeconds(60), "pull", registry.Image).AssertExit(0);
        Assert.Equal(2, registry.ManifestRequests);
    }

    [Fact]
    public void TooManyRequestsForLongerThanWeWaitFailsAtOnce()
    {
        // Retries are bounded: a registry asking for an hour gets an error now, not a hung command.
        var (dir, berth) = Install();
        using var _ = dir;
        using var registry = new FakeRegistry(Fault.TooManyRequestsForever);
        var started = DateTime.UtcNow;
        berth.RunTimed(TimeSpan.FromSeconds(60), "pull", registry.Image).AssertExit(1, $"{registry.Host}/fake/app: manifest 1: toomanyrequests: slow down");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
        Assert.Equal(1, registry.ManifestRequests);
        AssertNothingStored(berth);
    }

    [Fact]
    public void AManifestOverFourMebibytesIsRefusedUnread()
    {
        // containerd's cap: a hostile registry cannot make berth buffer an arbitrary document.
        var (dir, berth) = Install();
        using var _ = dir;
        using var registry = new FakeRegistry(Fault.HugeManifest);
        berth.RunTimed(TimeSpan.FromSeconds(60), "pull", registry.Image).AssertExit(1, "is larger than the 4194304 bytes allowed for a manifest");
        AssertNothingStored(berth);
    }
}
