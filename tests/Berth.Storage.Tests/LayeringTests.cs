using System.Xml.Linq;
using Berth.Testing;

namespace Berth.Storage.Tests;

public sealed class LayeringTests
{
    // The arrows STYLE.md §1 allows: dependencies point down only.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Berth.Oci"] = [],
        ["Berth.Dockerfile"] = [],
        ["Berth.Interop"] = ["Berth.Oci"],
        ["Berth.Archive"] = ["Berth.Oci", "Berth.Interop"],
        ["Berth.Storage"] = ["Berth.Archive"],
        ["Berth.Runtime"] = ["Berth.Oci", "Berth.Interop"],
        ["Berth.Distribution"] = ["Berth.Oci"],
        ["Berth.Network"] = ["Berth.Oci", "Berth.Interop"],
        ["Berth.Build"] = ["Berth.Storage", "Berth.Dockerfile", "Berth.Archive", "Berth.Oci"],
        ["Berth.Engine"] = ["Berth.Storage", "Berth.Build", "Berth.Runtime", "Berth.Distribution", "Berth.Network", "Berth.Archive", "Berth.Oci", "Berth.Dockerfile"],
        ["Berth.Cli"] = ["Berth.Engine", "Berth.Runtime"],
        ["Berth.Api"] = ["Berth.Engine"],
        // berth itself never links the Engine API server (ASP.NET Core stays out of every CLI start): it only builds
        // berth-daemon beside itself, which `berth daemon` execs.
        ["Berth"] = ["Berth.Cli", "Berth.Daemon", "Berth.Runtime", "Berth.Engine"],
        ["Berth.Daemon"] = ["Berth.Api"],
    };

    [Fact]
    public void ProjectReferencesPointDownOnly()
    {
        // A sideways or upward reference (Storage → Runtime, Oci → anything) breaks the layering every other
        // design rule relies on; fail the build on it.
        var src = Path.Combine(RepoPaths.Root, "src");
        foreach (var csproj in Directory.GetFiles(src, "*.csproj", SearchOption.AllDirectories).Where(p => !p.Contains("/obj/")))
        {
            var name = Path.GetFileNameWithoutExtension(csproj);
            Assert.True(Allowed.ContainsKey(name), $"{name} is a new project: add its allowed references to LayeringTests");
            var refs = XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value)).ToList();
            foreach (var r in refs)
                Assert.True(Allowed[name].Contains(r), $"{name} must not reference {r}");
        }
    }
}
