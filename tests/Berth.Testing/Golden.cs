using Xunit;

namespace Berth.Testing;

/// <summary>Golden files: a test's output compared with a file kept beside the test. <c>BERTH_UPDATE_GOLDEN=1</c>
/// rewrites berth's own golden files (the diff is then reviewed), but never under CI, where a rewrite would make a
/// failing test pass, and never the vendored data under tests/conformance, which stays byte-identical to its
/// upstream (SOURCES.md) as BuildKit's parser tests never rewrite their testfiles.</summary>
public sealed class Golden(bool updateRequested, bool isCi, string conformanceRoot)
{
    /// <summary>The policy of this test run: BERTH_UPDATE_GOLDEN, CI and the repository's tests/conformance.</summary>
    public static Golden Default { get; } = new(
        Environment.GetEnvironmentVariable("BERTH_UPDATE_GOLDEN") == "1", HostCapabilities.IsCi, RepoPaths.Conformance());

    /// <summary>Asserts that <paramref name="actual"/> equals the file's text; in update mode (outside CI, outside
    /// tests/conformance) writes it instead when it differs.</summary>
    public void AssertMatches(string goldenPath, string actual)
    {
        if (updateRequested && isCi)
            Assert.Fail($"BERTH_UPDATE_GOLDEN is refused under CI: golden files change by a reviewed commit, not by a test run ({goldenPath})");
        var expected = File.Exists(goldenPath) ? File.ReadAllText(goldenPath) : null;
        if (expected == actual) return;
        if (updateRequested)
        {
            var full = Path.GetFullPath(goldenPath);
            var vendored = Path.GetFullPath(conformanceRoot).TrimEnd('/') + "/";
            if (full.StartsWith(vendored, StringComparison.Ordinal))
                Assert.Fail($"{goldenPath} is vendored conformance data and is never rewritten (BERTH_UPDATE_GOLDEN): fix berth, or update the data from its upstream (tests/conformance/SOURCES.md)");
            File.WriteAllText(goldenPath, actual, new System.Text.UTF8Encoding(false));
            return;
        }
        Assert.Equal(expected ?? $"(no golden file {goldenPath})", actual);
    }
}
