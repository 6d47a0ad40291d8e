namespace Berth.Engine;

/// <summary>Bytes of the regular files under a directory (what docker reports as reclaimed by a prune).</summary>
internal static class DirectorySize
{
    public static long Of(string dir)
    {
        try
        {
            if (!Directory.Exists(dir)) return 0;
            return new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Sum(f => f.Length);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
