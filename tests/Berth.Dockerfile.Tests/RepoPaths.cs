namespace Berth.Dockerfile.Tests;

/// <summary>Locates the repository root (the folder holding berth.slnx) to read conformance data in place.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string?> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "berth.slnx")))
            {
                return dir.FullName;
            }
        }
        return null;
    });

    /// <summary>tests/conformance/&lt;suite&gt;, or null when the data is absent.</summary>
    public static string? Conformance(string suite)
    {
        if (Root.Value is null)
        {
            return null;
        }
        var path = Path.Combine(Root.Value, "tests", "conformance", suite);
        return Directory.Exists(path) ? path : null;
    }
}
