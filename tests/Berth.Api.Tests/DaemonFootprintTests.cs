using System.Globalization;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>What an idle daemon holds besides its socket.</summary>
[Collection("api")]
public sealed class DaemonFootprintTests
{
    [Fact]
    public void TheDaemonDoesNotWatchTheDirectoryItWasStartedIn()
    {
        // ASP.NET's default hosts read appsettings*.json from the working directory and watch it, and every
        // directory below it, with inotify: started from / (systemd's default) that was 63,000 watches and seconds of
        // start-up. berth daemon has no configuration files; no inotify watch may sit on its working directory.
        HostCapabilities.RequireRoot();
        using var dir = new TempDirectory("berth-api-footprint");
        using var berth = new Testing.Berth(dir.Combine("root"));
        using var daemon = berth.StartDaemon();
        var cwd = new DirectoryInfo($"/proc/{daemon.Pid}/cwd").ResolveLinkTarget(returnFinalTarget: true)?.FullName
                  ?? throw new InvalidOperationException("no working directory");
        var inode = Run.Tool("stat", ["-c", "%i", cwd]).Stdout.Trim();
        var watched = new List<string>();
        foreach (var fdinfo in Directory.EnumerateFiles($"/proc/{daemon.Pid}/fdinfo"))
        {
            string text;
            try
            {
                text = File.ReadAllText(fdinfo);
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }
            // inotify wd:1 ino:2a3b sdev:800001 mask:… (the inode in hex)
            foreach (var line in text.Split('\n').Where(l => l.StartsWith("inotify ", StringComparison.Ordinal)))
            {
                var ino = line.Split(' ').FirstOrDefault(f => f.StartsWith("ino:", StringComparison.Ordinal))?[4..];
                if (ino is not null) watched.Add(ulong.Parse(ino, NumberStyles.HexNumber, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
            }
        }
        Assert.DoesNotContain(inode, watched);
    }
}
