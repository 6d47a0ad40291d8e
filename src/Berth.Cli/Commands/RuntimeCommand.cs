using System.CommandLine;

namespace Berth.Cli.Commands;

/// <summary><c>berth runtime</c>: the OCI runtime command line (create/start/state/kill/delete/run).</summary>
internal static class RuntimeCommand
{
    public static Command Create() => new("runtime", "Run OCI bundles (the OCI runtime command line)") { Hidden = false };
}
