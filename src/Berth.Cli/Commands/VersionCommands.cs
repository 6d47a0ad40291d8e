using System.CommandLine;
using System.Text;
using System.Text.Json;
using Berth.Cli.Output;
using Berth.Engine;

namespace Berth.Cli.Commands;

/// <summary><c>berth version</c> and <c>berth info</c> (also <c>system info</c>): docker's layout, Client and
/// Server parts, <c>--format</c> over docker's field names. The data comes from the engine
/// (<see cref="BerthEngine.Version"/>, <see cref="BerthEngine.Info"/>); this prints it.</summary>
internal static class VersionCommands
{
    public static Command Version()
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
        var c = new Command("version", "Show the berth version information") { format };
        CliContext.Bind((ctx, p, ct) =>
        {
            var server = ctx.Engine.Version();
            var json = VersionJson(server);
            if (p.GetValue(format) is { Length: > 0 } f)
            {
                ctx.Out.WriteLine(f == "json" ? json : GoTemplate.Parse(f).Execute(json));
                return ExitCodes.Success;
            }
            ctx.Out.Write(VersionText(server));
            return ExitCodes.Success;
        })(c);
        return c;
    }

    /// <summary><c>berth --version</c> (<c>-v</c>): docker's one line, "Docker version 28.2.2, build e6534b4".</summary>
    public static string Short()
    {
        var stamp = SystemVersion.Stamp();
        return $"berth version {stamp.Version}" + (stamp.GitCommit.Length > 0 ? $", build {stamp.GitCommit}" : "");
    }

    /// <summary>docker's <c>{{json .}}</c> of version: the client's fields, then the server's (the engine's record).</summary>
    private static string VersionJson(SystemVersion server)
    {
        var stamp = SystemVersion.Stamp();
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartObject("Client");
            w.WriteString("Version", stamp.Version);
            w.WriteString("ApiVersion", SystemVersion.ApiVersionValue);
            w.WriteString("DefaultAPIVersion", SystemVersion.ApiVersionValue);
            w.WriteString("GitCommit", stamp.GitCommit);
            w.WriteString("GoVersion", stamp.DotnetVersion);
            w.WriteString("Os", stamp.Os);
            w.WriteString("Arch", stamp.Arch);
            w.WriteString("BuildTime", BerthEngine.AnsiC(stamp.Built));
            w.WriteEndObject();
            w.WritePropertyName("Server");
            w.WriteRawValue(JsonSerializer.Serialize(server, EngineJsonContext.Default.SystemVersion));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>docker's version template, with .NET where docker names Go. berth has no contexts: no Context line.</summary>
    internal static string VersionText(SystemVersion server)
    {
        var stamp = SystemVersion.Stamp();
        var text = new StringBuilder();
        void Line(string indent, int width, string label, string value) => text.Append(indent).Append((label + ":").PadRight(width)).Append(value).Append('\n');
        text.Append("Client:\n");
        Line(" ", 19, "Version", stamp.Version);
        Line(" ", 19, "API version", SystemVersion.ApiVersionValue);
        Line(" ", 19, ".NET version", stamp.DotnetVersion);
        Line(" ", 19, "Git commit", stamp.GitCommit);
        Line(" ", 19, "Built", BerthEngine.AnsiC(stamp.Built));
        Line(" ", 19, "OS/Arch", $"{stamp.Os}/{stamp.Arch}");
        text.Append('\n');
        text.Append("Server:").Append(server.Platform.Name.Length > 0 ? " " + server.Platform.Name : "").Append('\n');
        foreach (var component in server.Components)
        {
            text.Append(' ').Append(component.Name).Append(":\n");
            var d = component.Details;
            string Get(string key) => d.TryGetValue(key, out var v) ? v : "";
            Line("  ", 18, "Version", component.Version);
            if (component.Name == "Engine")
            {
                Line("  ", 18, "API version", $"{Get("ApiVersion")} (minimum version {Get("MinAPIVersion")})");
                Line("  ", 18, ".NET version", Get("GoVersion"));
                Line("  ", 18, "Git commit", Get("GitCommit"));
                Line("  ", 18, "Built", Get("BuildTime"));
                Line("  ", 18, "OS/Arch", $"{Get("Os")}/{Get("Arch")}");
                Line("  ", 18, "Experimental", Get("Experimental"));
            }
            else
            {
                foreach (var (k, v) in d.OrderBy(kv => kv.Key, StringComparer.Ordinal)) Line("  ", 18, k, v);
            }
        }
        return text.ToString();
    }

    public static Command Info(string name = "info")
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
        var c = new Command(name, "Display system-wide information") { format };
        CliContext.Bind((ctx, p, ct) =>
        {
            var info = ctx.Engine.Info();
            var json = InfoJson(info);
            if (p.GetValue(format) is { Length: > 0 } f)
            {
                ctx.Out.WriteLine(f == "json" ? json : GoTemplate.Parse(f).Execute(json));
                return ExitCodes.Success;
            }
            ctx.Out.Write(InfoText(info, ctx.LogLevel == "debug"));
            return ExitCodes.Success;
        })(c);
        return c;
    }

    /// <summary>docker's <c>{{json .}}</c> of info: the server's fields at the top, the client's under ClientInfo.</summary>
    private static string InfoJson(SystemInfo info)
    {
        var stamp = SystemVersion.Stamp();
        using var server = JsonDocument.Parse(JsonSerializer.Serialize(info, EngineJsonContext.Default.SystemInfo));
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var property in server.RootElement.EnumerateObject()) property.WriteTo(w);
            w.WriteStartObject("ClientInfo");
            w.WriteBoolean("Debug", false);
            w.WriteString("Version", stamp.Version);
            w.WriteString("DefaultAPIVersion", SystemVersion.ApiVersionValue);
            w.WriteString("GitCommit", stamp.GitCommit);
            w.WriteString("GoVersion", stamp.DotnetVersion);
            w.WriteString("Os", stamp.Os);
            w.WriteString("Arch", stamp.Arch);
            w.WriteString("BuildTime", BerthEngine.AnsiC(stamp.Built));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static string InfoText(SystemInfo i, bool debug)
    {
        var stamp = SystemVersion.Stamp();
        var text = new StringBuilder();
        void L(string line) => text.Append(line).Append('\n');
        L("Client:");
        L($" Version:    {stamp.Version}");
        L($" Debug Mode: {(debug ? "true" : "false")}");
        L("");
        L("Server:");
        L($" Containers: {i.Containers}");
        L($"  Running: {i.ContainersRunning}");
        L($"  Paused: {i.ContainersPaused}");
        L($"  Stopped: {i.ContainersStopped}");
        L($" Images: {i.Images}");
        L($" Server Version: {i.ServerVersion}");
        L($" Storage Driver: {i.Driver}");
        foreach (var pair in i.DriverStatus) L($"  {pair[0]}: {pair[1]}");
        L($" Logging Driver: {i.LoggingDriver}");
        L($" Cgroup Driver: {i.CgroupDriver}");
        L($" Cgroup Version: {i.CgroupVersion}");
        L($" Cgroup Parent: {i.CgroupParent}");
        L($" Runtimes: {string.Join(' ', i.Runtimes.Keys.Order(StringComparer.Ordinal))}");
        L($" Default Runtime: {i.DefaultRuntime}");
        L($" Init Binary: {i.InitBinary}");
        if (i.SecurityOptions.Count > 0)
        {
            L(" Security Options:");
            foreach (var o in i.SecurityOptions)
            {
                // docker: "name=seccomp,profile=default" prints as "  seccomp" then "   Profile: default".
                var fields = o.Split(',').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToList();
                L("  " + fields.FirstOrDefault(f => f[0] == "name")?[1]);
                foreach (var f in fields.Where(f => f[0] != "name")) L($"   {char.ToUpperInvariant(f[0][0])}{f[0][1..]}: {f[1]}");
            }
        }
        L($" Kernel Version: {i.KernelVersion}");
        L($" Operating System: {i.OperatingSystem}");
        L($" OSType: {i.OsType}");
        L($" Architecture: {i.Architecture}");
        L($" CPUs: {i.Ncpu}");
        L($" Total Memory: {Units.BytesSize(i.MemTotal)}");
        L($" Name: {i.Name}");
        L($" Root Dir: {i.DockerRootDir}");
        L($" State Dir: {i.StateDir}");
        L($" Debug Mode: false");
        foreach (var w in i.Warnings) L(w);
        return text.ToString();
    }
}
