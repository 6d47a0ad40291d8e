namespace Berth.Testing;

/// <summary>Finds the repository (the folder holding berth.slnx), its conformance data and the berth binary.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Conformance(params string[] parts) => Path.Combine([Root, "tests", "conformance", .. parts]);

    /// <summary>The berth executable: $BERTH_BIN, else bin/berth (make), else the Debug apphost.</summary>
    public static string BerthBinary
    {
        get
        {
            if (Environment.GetEnvironmentVariable("BERTH_BIN") is { Length: > 0 } env) return env;
            var made = Path.Combine(Root, "bin", "berth");
            if (File.Exists(made)) return made;
            return Path.Combine(Root, "src", "Berth", "bin", "Debug", "net10.0", "linux-x64", "berth");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "berth.slnx"))) return dir.FullName;
        throw new InvalidOperationException("berth.slnx not found above " + AppContext.BaseDirectory);
    }
}
