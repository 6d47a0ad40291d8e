using System.Text;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Distribution.Tests;

/// <summary>Registries that want credentials or TLS: htpasswd basic auth, token auth through a token server, a
/// credential helper, and TLS with a CA from the installation's certs.d.</summary>
[Collection("registry")]
public sealed class AuthTests(BusyboxTar busybox)
{
    private Installation WithBusybox(string tag)
    {
        var i = new Installation();
        HostCapabilities.Require(File.Exists(busybox.Path), "needs busybox-static (scripts/make-busybox-rootfs)");
        i.Ok("import", busybox.Path, tag);
        return i;
    }

    private static string Htpasswd(string user, string password)
    {
        HostCapabilities.RequireTool("htpasswd");
        var r = Run.Tool("htpasswd", ["-Bbn", user, password]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout;
    }

    private static RunResult WithStdin(Installation i, string input, params string[] args)
    {
        var file = i.Dir.Combine("stdin-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, input);
        return i.Berth.RunWithStdin(file, args);
    }

    [Fact]
    public void LoginWithBasicAuthStoresDockersEntryAndLogoutRemovesIt()
    {
        // A registry behind htpasswd: nothing without login, everything after, nothing again after logout; the
        // credentials sit in config.json exactly as docker writes them.
        using var registry = new RegistryServer(new RegistryServer.Options { Htpasswd = Htpasswd("alice", "s3cret") });
        string image = $"{registry.Host}/private/bb:1";
        using var i = WithBusybox(image);
        i.Run("push", image).AssertExit(1, "unauthorized");

        WithStdin(i, "wrong\n", "login", "-u", "alice", "--password-stdin", registry.Host).AssertExit(1, $"login attempt to http://{registry.Host}/v2/ failed");
        Assert.False(File.Exists(Path.Combine(i.DockerConfig, "config.json")) && File.ReadAllText(Path.Combine(i.DockerConfig, "config.json")).Contains(registry.Host, StringComparison.Ordinal));

        var login = WithStdin(i, "s3cret\n", "login", "-u", "alice", "--password-stdin", registry.Host);
        login.AssertExit(0);
        Assert.Equal("Login Succeeded\n", login.Stdout);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(i.DockerConfig, "config.json")))!;
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")), config["auths"]![registry.Host]!["auth"]!.GetValue<string>());

        i.Ok("push", image);
        i.Ok("rmi", image);
        i.Ok("pull", image);

        Assert.Equal($"Removing login credentials for {registry.Host}\n", i.Ok("logout", registry.Host));
        Assert.Equal($"Not logged in to {registry.Host}\n", i.Ok("logout", registry.Host));
        i.Run("pull", $"{registry.Host}/private/bb:1").AssertExit(1, "unauthorized");
    }

    [Fact]
    public void PasswordFlagWarnsAndMissingUsernameIsRefused()
    {
        // docker's wording for the two common mistakes.
        using var registry = new RegistryServer(new RegistryServer.Options { Htpasswd = Htpasswd("bob", "pw") });
        using var i = new Installation();
        var r = i.Run("login", "-u", "bob", "-p", "pw", registry.Host);
        r.AssertExit(0);
        Assert.Contains("WARNING! Using --password via the CLI is insecure. Use --password-stdin.", r.Stderr);
        WithStdin(i, "pw\n", "login", "--password-stdin", registry.Host).AssertExit(1, "Must provide --username with --password-stdin");
    }

    [Fact]
    public void TokenAuthFetchesOneTokenPerScopeAndPushesWithCredentials()
    {
        // Docker Hub's scheme: a Bearer challenge, a token from the realm per repository and action, reused for
        // every request of that scope; anonymous tokens can pull but not push.
        using var dir = new TempDirectory("berth-token");
        using var tokens = new TokenServer(dir.Path, "carol", "tok-pw");
        using var registry = new RegistryServer(new RegistryServer.Options
        {
            Token = (tokens.Realm, TokenServer.Service, TokenServer.Issuer, tokens.CertificatePath),
        });
        string image = $"{registry.Host}/tok/bb:1";
        using var i = WithBusybox(image);
        var refused = i.Run("push", image);
        Assert.True(refused.ExitCode == 1 && refused.Stderr.Contains("unauthorized: authentication required", StringComparison.Ordinal),
            refused + "\n--- registry\n" + string.Join('\n', registry.Log));

        WithStdin(i, "bad\n", "login", "-u", "carol", "--password-stdin", registry.Host).AssertExit(1, "incorrect username or password");
        WithStdin(i, "tok-pw\n", "login", "-u", "carol", "--password-stdin", registry.Host).AssertExit(0);
        i.Ok("push", image);

        using var anon = new Installation();
        int before = tokens.Issued;
        anon.Ok("pull", image);
        // manifest, config and layer all under one token for repository:tok/bb:pull.
        Assert.Equal(1, tokens.Issued - before);
        Assert.Equal("repository:tok/bb:pull", tokens.Requests[^1]);
        Assert.Equal("tok\n", anon.Ok("run", "--rm", image, "echo", "tok"));
    }

    [Fact]
    public void CredentialHelpersAreUsedAsDockerUsesThem()
    {
        // credsStore in config.json: login stores through docker-credential-NAME, pull gets the secret from it.
        using var registry = new RegistryServer(new RegistryServer.Options { Htpasswd = Htpasswd("dave", "helper-pw") });
        string image = $"{registry.Host}/helper/bb:1";
        using var i = WithBusybox(image);
        string bin = i.Dir.Sub("bin"), store = i.Dir.Sub("helper-store");
        File.WriteAllText(Path.Combine(bin, "docker-credential-berthtest"), $$"""
            #!/bin/sh
            case "$1" in
              store) cat > {{store}}/secret.json ;;
              get) read url; if [ -f {{store}}/secret.json ]; then cat {{store}}/secret.json; else echo "credentials not found in native keychain"; exit 1; fi ;;
              erase) read url; rm -f {{store}}/secret.json ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(Path.Combine(bin, "docker-credential-berthtest"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(i.DockerConfig, "config.json"), """{"credsStore":"berthtest"}""");
        i.Berth.ExtraEnvironment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");

        WithStdin(i, "helper-pw\n", "login", "-u", "dave", "--password-stdin", registry.Host).AssertExit(0);
        var secret = JsonNode.Parse(File.ReadAllText(Path.Combine(store, "secret.json")))!;
        Assert.Equal((registry.Host, "dave", "helper-pw"), (secret["ServerURL"]!.GetValue<string>(), secret["Username"]!.GetValue<string>(), secret["Secret"]!.GetValue<string>()));
        Assert.DoesNotContain("helper-pw", File.ReadAllText(Path.Combine(i.DockerConfig, "config.json")));
        i.Ok("push", image);
        i.Ok("logout", registry.Host);
        Assert.False(File.Exists(Path.Combine(store, "secret.json")));
    }

    [Fact]
    public void TlsRegistriesAreVerifiedWithTheCaOfCertsD()
    {
        // TLS is verified even on loopback: an unknown CA is refused naming the host and the reason, and the CA
        // placed in certs.d/HOST:PORT/ca.crt (berth's configured directory) makes it trusted.
        HostCapabilities.RequireTool("openssl");
        using var dir = new TempDirectory("berth-tls");
        string ca = dir.Combine("ca.crt"), caKey = dir.Combine("ca.key"), cert = dir.Combine("server.crt"), key = dir.Combine("server.key");
        void Ssl(params string[] args)
        {
            var r = Run.Tool("openssl", args);
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        Ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=berth test CA");
        Ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", dir.Combine("server.csr"), "-subj", "/CN=127.0.0.1");
        File.WriteAllText(dir.Combine("san.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        Ssl("x509", "-req", "-in", dir.Combine("server.csr"), "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", dir.Combine("san.ext"));

        using var registry = new RegistryServer(new RegistryServer.Options { Tls = (cert, key) });
        string image = $"{registry.Host}/tls/bb:1";
        using var i = WithBusybox(image);
        i.Run("push", image).AssertExit(1, $"TLS handshake with {registry.Host} failed: certificate signed by unknown authority");

        Directory.CreateDirectory(Path.Combine(i.CertsDirectory, registry.Host));
        File.Copy(ca, Path.Combine(i.CertsDirectory, registry.Host, "ca.crt"));
        i.Ok("push", image);
        using var j = new Installation();
        Directory.CreateDirectory(Path.Combine(j.CertsDirectory, registry.Host));
        File.Copy(ca, Path.Combine(j.CertsDirectory, registry.Host, "ca.crt"));
        j.Ok("pull", image);
        Assert.Equal("tls\n", j.Ok("run", "--rm", image, "echo", "tls"));
    }
}
