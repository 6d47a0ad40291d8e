using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Berth.Oci.Errors;

namespace Berth.Distribution.Credentials;

/// <summary>Runs a <c>docker-credential-NAME</c> program: <c>get</c>, <c>store</c>, <c>erase</c> with the server URL
/// or a JSON document on stdin and JSON on stdout, as docker-credential-helpers defines the protocol.</summary>
/// <see href="https://github.com/docker/docker-credential-helpers#development"/>
public sealed class CredentialHelper(string name)
{
    public string Program => "docker-credential-" + name;

    public async ValueTask<RegistryCredentials?> GetAsync(string serverUrl, CancellationToken ct)
    {
        var (code, stdout, stderr) = await RunAsync("get", serverUrl, ct);
        if (code != 0)
        {
            // The helpers answer a miss with "credentials not found in native keychain" and exit 1.
            if ((stdout + stderr).Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
            throw new BerthException(ErrorKind.Internal, $"{Program} get {serverUrl}: exit {code}: {(stderr + stdout).Trim()}");
        }
        HelperCredentials? c;
        try
        {
            c = JsonSerializer.Deserialize(stdout, DistributionJsonContext.Default.HelperCredentials);
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid($"{Program} get {serverUrl}: invalid JSON: {e.Message}");
        }
        if (c is null || (c.Username ?? "").Length == 0 && (c.Secret ?? "").Length == 0) return null;
        // docker: a user name of "<token>" means the secret is an identity token.
        return c.Username == "<token>" ? new RegistryCredentials("", "", c.Secret) : new RegistryCredentials(c.Username ?? "", c.Secret ?? "");
    }

    public async ValueTask StoreAsync(string serverUrl, RegistryCredentials credentials, CancellationToken ct)
    {
        var payload = new HelperCredentials
        {
            ServerUrl = serverUrl,
            Username = credentials.IdentityToken is null ? credentials.Username : "<token>",
            Secret = credentials.IdentityToken ?? credentials.Password,
        };
        var (code, stdout, stderr) = await RunAsync("store", JsonSerializer.Serialize(payload, DistributionJsonContext.Default.HelperCredentials), ct);
        if (code != 0) throw new BerthException(ErrorKind.Internal, $"{Program} store {serverUrl}: exit {code}: {(stderr + stdout).Trim()}");
    }

    public async ValueTask<bool> EraseAsync(string serverUrl, CancellationToken ct)
    {
        var (code, stdout, stderr) = await RunAsync("erase", serverUrl, ct);
        if (code == 0) return true;
        if ((stdout + stderr).Contains("not found", StringComparison.OrdinalIgnoreCase)) return false;
        throw new BerthException(ErrorKind.Internal, $"{Program} erase {serverUrl}: exit {code}: {(stderr + stdout).Trim()}");
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(string verb, string input, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(Program, [verb])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new BerthException(ErrorKind.NotFound, $"{Program}: could not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BerthException(ErrorKind.NotFound, $"credential helper {Program} not found in PATH: {e.Message}", e);
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = p.StandardError.ReadToEndAsync(ct);
            await p.StandardInput.BaseStream.WriteAsync(Encoding.UTF8.GetBytes(input), ct);
            p.StandardInput.Close();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await p.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                p.Kill(entireProcessTree: true);
                throw new BerthException(ErrorKind.Unavailable, $"{Program} {verb}: no answer within 60 s");
            }
            return (p.ExitCode, await stdout, await stderr);
        }
    }
}
