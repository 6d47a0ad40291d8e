using System.CommandLine;
using Berth.Distribution.Credentials;
using Berth.Distribution.Reference;
using Berth.Engine.Images;
using Berth.Oci;
using Berth.Oci.Errors;

namespace Berth.Cli.Commands;

/// <summary>The registry commands: <c>pull</c>, <c>push</c>, <c>login</c>, <c>logout</c>, <c>manifest inspect</c>,
/// with docker's flags, output and exit codes. Registries are configured in berth's configuration file.</summary>
internal static class RegistryCommands
{
    private static readonly string ConfigHelp =
        $"Registries are configured in berth's configuration file ({Distribution.Client.RegistrySettings.DefaultConfigPath}, or env " +
        $"{Distribution.Client.RegistrySettings.ConfigVariable}): \"insecure-registries\", \"certs-directories\" (default /etc/berth/certs.d and " +
        "/etc/docker/certs.d, each holding HOST[:PORT]/ca.crt, client.cert, client.key), \"registry-mirrors\" (http(s)://HOST[:PORT] " +
        "URLs tried in order before Docker Hub when pulling docker.io names), \"max-concurrent-downloads\". Credentials are read " +
        "from $DOCKER_CONFIG/config.json or ~/.docker/config.json, as docker keeps them.";

    public static IEnumerable<Command> Create()
    {
        var image = new Command("manifest", "Manage Docker image manifests and manifest lists");
        image.Subcommands.Add(ManifestInspect());
        return [Pull(), Push(), Login(), Logout(), image];
    }

    /// <summary>Adds <c>pull</c> and <c>push</c> under <c>berth image</c> too, as docker has them.</summary>
    public static IEnumerable<Command> ImageSubcommands() => [Pull(), Push()];

    private static Command Pull()
    {
        var all = new Option<bool>("--all-tags", "-a") { Description = "Download all tagged images in the repository" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable (os/arch[/variant])" };
        var name = new Argument<string>("NAME[:TAG|@DIGEST]");
        var c = new Command("pull", "Download an image from a registry\n\n" + ConfigHelp) { all, quiet, platform, name };
        CliContext.BindAsync(async (ctx, p, ct) =>
        {
            string n = p.GetValue(name)!;
            bool q = p.GetValue(quiet);
            var options = new ImageService.PullOptions { AllTags = p.GetValue(all), Platform = ParsePlatform(p.GetValue(platform)) };
            var reference = ImageReference.Parse(n);
            if (!q && !options.AllTags && reference.Digest is null && !HasTag(n)) ctx.Out.WriteLine("Using default tag: latest");
            var printer = q ? null : ProgressPrinter.For(ctx.Out);
            var results = await ctx.Images.PullAsync(n, options, printer, ct);
            if (!q)
            {
                foreach (var r in results) ctx.Out.WriteLine($"Digest: {r.ManifestDigest}");
                bool downloaded = results.Any(r => r.Downloaded);
                string shown = options.AllTags ? reference.FamiliarRepository : reference.FamiliarName;
                ctx.Out.WriteLine(downloaded ? $"Status: Downloaded newer image for {shown}" : $"Status: Image is up to date for {shown}");
            }
            ctx.Out.WriteLine(options.AllTags ? reference.Repository : reference.ToString());
            return 0;
        })(c);
        return c;
    }

    private static Command Push()
    {
        var all = new Option<bool>("--all-tags", "-a") { Description = "Push all tags of an image to the repository" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var name = new Argument<string>("NAME[:TAG]");
        var c = new Command("push", "Upload an image to a registry\n\n" + ConfigHelp) { all, quiet, name };
        CliContext.BindAsync(async (ctx, p, ct) =>
        {
            string n = p.GetValue(name)!;
            bool q = p.GetValue(quiet);
            if (p.GetValue(all) && HasTag(n)) throw BerthException.Invalid("tag can't be used with --all-tags/-a");
            var results = await ctx.Images.PushAsync(n, p.GetValue(all), q ? null : ProgressPrinter.For(ctx.Out), ct);
            if (q) ctx.Out.WriteLine(p.GetValue(all) ? ImageReference.Parse(n).Repository : ImageReference.Parse(n).ToString());
            else foreach (var r in results) ctx.Out.WriteLine($"{r.Reference.Tag}: digest: {r.ManifestDigest} size: {r.ManifestSize}");
            return 0;
        })(c);
        return c;
    }

    private static Command Login()
    {
        var user = new Option<string?>("--username", "-u") { Description = "Username" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or Personal Access Token (PAT)" };
        var stdin = new Option<bool>("--password-stdin") { Description = "Take the Password or Personal Access Token (PAT) from stdin" };
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command("login", "Authenticate to a registry\n\nDefaults to Docker Hub if no server is specified. " + ConfigHelp) { user, password, stdin, server };
        CliContext.BindAsync(async (ctx, p, ct) =>
        {
            string? u = p.GetValue(user), pw = p.GetValue(password);
            if (pw is not null && p.GetValue(stdin)) throw BerthException.Invalid("--password and --password-stdin are mutually exclusive");
            if (p.GetValue(stdin))
            {
                if (string.IsNullOrEmpty(u)) throw BerthException.Invalid("Must provide --username with --password-stdin");
                pw = (await Console.In.ReadToEndAsync(ct)).TrimEnd('\n', '\r');
            }
            else if (pw is not null)
            {
                ctx.Err.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            }
            if (string.IsNullOrEmpty(u) || pw is null)
            {
                if (Console.IsInputRedirected) throw BerthException.Invalid("Cannot perform an interactive login from a non TTY device");
                if (string.IsNullOrEmpty(u))
                {
                    ctx.Out.Write("Username: ");
                    u = Console.ReadLine()?.Trim();
                }
                if (pw is null)
                {
                    ctx.Out.Write("Password: ");
                    pw = ReadHidden();
                    ctx.Out.WriteLine();
                }
            }
            if (string.IsNullOrEmpty(u)) throw BerthException.Invalid("Error: Non-null Username Required");
            if (string.IsNullOrEmpty(pw)) throw BerthException.Invalid("Error: Password Required");
            await ctx.Images.LoginAsync(p.GetValue(server), new RegistryCredentials(u, pw), ctx.Engine.Time, ct);
            ctx.Out.WriteLine("Login Succeeded");
            return 0;
        })(c);
        return c;
    }

    private static string ReadHidden()
    {
        var sb = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) return sb.ToString();
            if (key.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; }
            else sb.Append(key.KeyChar);
        }
    }

    private static Command Logout()
    {
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        var c = new Command("logout", "Log out from a registry\n\nIf no server is specified, the default is defined by the daemon.") { server };
        CliContext.BindAsync(async (ctx, p, ct) =>
        {
            var (domain, removed) = await ctx.Images.LogoutAsync(p.GetValue(server), ct);
            string shown = RegistryHost.AuthKeyOf(domain);
            ctx.Out.WriteLine(removed ? $"Removing login credentials for {shown}" : $"Not logged in to {shown}");
            return 0;
        })(c);
        return c;
    }

    private static Command ManifestInspect()
    {
        var insecure = new Option<bool>("--insecure") { Description = "Allow communication with an insecure registry" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Output additional info including layers and platform" };
        var name = new Argument<string>("MANIFEST");
        var c = new Command("inspect", "Display an image manifest, or manifest list") { insecure, verbose, name };
        CliContext.BindAsync(async (ctx, p, ct) =>
        {
            var fetched = await ctx.Images.InspectRemoteManifestAsync(p.GetValue(name)!, ct);
            // docker/cli prints the registry's bytes through json.Indent with a tab: keys in their order, strings
            // with their original escapes.
            ctx.Out.WriteLine(Output.JsonIndent.Indent(fetched.Bytes));
            return 0;
        })(c);
        return c;
    }

    private static bool HasTag(string name)
    {
        string withoutDigest = name.Split('@')[0];
        return withoutDigest.LastIndexOf(':') > withoutDigest.LastIndexOf('/');
    }

    /// <summary><c>os/arch[/variant]</c>, or a bare architecture (linux assumed), normalised as containerd's
    /// platforms package (x86_64 → amd64, aarch64 → arm64).</summary>
    internal static Platform? ParsePlatform(string? value) => string.IsNullOrEmpty(value) ? null : Platform.Parse(value);
}
