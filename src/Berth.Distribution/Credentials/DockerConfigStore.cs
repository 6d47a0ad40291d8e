using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Distribution.Reference;
using Berth.Oci.Errors;

namespace Berth.Distribution.Credentials;

/// <summary>Credentials where docker keeps them, so a user logged in with docker is logged in with berth:
/// <c>config.json</c> in <c>$DOCKER_CONFIG</c> (or <c>~/.docker</c>). A registry named in <c>credHelpers</c>, or
/// every registry when <c>credsStore</c> is set, goes through that <c>docker-credential-*</c> helper; otherwise
/// <c>auths</c> holds <c>base64(user:password)</c>. Other keys of the file are kept as they are on write.</summary>
/// <see href="https://docs.docker.com/reference/cli/docker/login/#credential-stores"/>
public sealed class DockerConfigStore(string configDirectory) : ICredentialStore
{
    public string ConfigDirectory { get; } = configDirectory;
    public string ConfigPath => Path.Combine(ConfigDirectory, "config.json");

    /// <summary>The directory docker uses: <c>$DOCKER_CONFIG</c>, else <c>$HOME/.docker</c>.</summary>
    public static string DefaultDirectory(Func<string, string?> env) =>
        env("DOCKER_CONFIG") is { Length: > 0 } d ? d
        : Path.Combine(env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");

    public async ValueTask<RegistryCredentials?> GetAsync(string domain, CancellationToken ct)
    {
        var config = Read();
        string key = RegistryHost.AuthKeyOf(domain);
        if (HelperFor(config, domain) is { } helper) return await new CredentialHelper(helper).GetAsync(key, ct);
        if (config["auths"] is not JsonObject auths) return null;
        foreach (var (k, v) in auths)
        {
            if (RegistryHost.DomainOfServer(k) != RegistryHost.DomainOfServer(domain) || v is not JsonObject entry) continue;
            string? identity = entry["identitytoken"]?.GetValue<string>();
            if (entry["auth"]?.GetValue<string>() is { Length: > 0 } auth)
            {
                string decoded;
                try
                {
                    decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
                }
                catch (FormatException)
                {
                    throw BerthException.Invalid($"{ConfigPath}: auths.{k}.auth is not base64");
                }
                int colon = decoded.IndexOf(':');
                if (colon < 0) throw BerthException.Invalid($"{ConfigPath}: auths.{k}.auth is not base64 of user:password");
                return new RegistryCredentials(decoded[..colon], decoded[(colon + 1)..], identity);
            }
            if (identity is not null) return new RegistryCredentials("", "", identity);
        }
        return null;
    }

    public async ValueTask StoreAsync(string domain, RegistryCredentials credentials, CancellationToken ct)
    {
        var config = Read();
        string key = RegistryHost.AuthKeyOf(domain);
        var auths = config["auths"] as JsonObject ?? new JsonObject();
        config["auths"] = auths;
        if (HelperFor(config, domain) is { } helper)
        {
            await new CredentialHelper(helper).StoreAsync(key, credentials, ct);
            // docker leaves an empty entry in auths so `docker info` lists the registry.
            auths[key] = new JsonObject();
        }
        else
        {
            var entry = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")) };
            if (credentials.IdentityToken is not null) entry["identitytoken"] = credentials.IdentityToken;
            auths[key] = entry;
        }
        Write(config);
    }

    public async ValueTask<bool> EraseAsync(string domain, CancellationToken ct)
    {
        var config = Read();
        string key = RegistryHost.AuthKeyOf(domain);
        bool found = false;
        if (HelperFor(config, domain) is { } helper) found = await new CredentialHelper(helper).EraseAsync(key, ct);
        if (config["auths"] is JsonObject auths)
            foreach (var k in auths.Select(p => p.Key).Where(k => RegistryHost.DomainOfServer(k) == RegistryHost.DomainOfServer(domain)).ToList())
            {
                auths.Remove(k);
                found = true;
            }
        if (found) Write(config);
        return found;
    }

    private static string? HelperFor(JsonObject config, string domain)
    {
        if (config["credHelpers"] is JsonObject helpers)
            foreach (var (k, v) in helpers)
                if (RegistryHost.DomainOfServer(k) == RegistryHost.DomainOfServer(domain) && v?.GetValue<string>() is { Length: > 0 } h) return h;
        return config["credsStore"]?.GetValue<string>() is { Length: > 0 } store ? store : null;
    }

    private JsonObject Read()
    {
        if (!File.Exists(ConfigPath)) return new JsonObject();
        try
        {
            return JsonNode.Parse(File.ReadAllText(ConfigPath)) as JsonObject ?? throw BerthException.Invalid($"{ConfigPath}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid($"{ConfigPath}: invalid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw BerthException.Invalid($"{ConfigPath}: {e.Message}");
        }
    }

    /// <summary>Writes by rename, mode 0600 as docker does: the file holds secrets.</summary>
    private void Write(JsonObject config)
    {
        Directory.CreateDirectory(ConfigDirectory);
        string temp = ConfigPath + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temp, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, ConfigPath, overwrite: true);
    }
}
