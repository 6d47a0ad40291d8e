using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Berth.Distribution.Client;

/// <summary>TLS towards one registry: the system's CA store plus the registry's own directory in each
/// certs directory (<c>HOST[:PORT]/*.crt</c> are CAs, <c>*.cert</c> + <c>*.key</c> a client certificate), as
/// docker reads <c>/etc/docker/certs.d</c>. The reason a certificate was refused is kept for the error
/// message.</summary>
/// <see href="https://docs.docker.com/engine/security/certificates/"/>
public sealed class RegistryTls
{
    private readonly X509Certificate2Collection _roots = [];

    public RegistryTls(string hostAndPort, IEnumerable<string> certsDirectories)
    {
        foreach (var root in certsDirectories)
        {
            var dir = Path.Combine(root, hostAndPort);
            if (!Directory.Exists(dir)) continue;
            foreach (var ca in Directory.GetFiles(dir, "*.crt").Order(StringComparer.Ordinal))
                _roots.ImportFromPemFile(ca);
            foreach (var cert in Directory.GetFiles(dir, "*.cert").Order(StringComparer.Ordinal))
            {
                var key = Path.ChangeExtension(cert, ".key");
                if (File.Exists(key)) ClientCertificates.Add(X509Certificate2.CreateFromPemFile(cert, key));
            }
        }
    }

    public X509CertificateCollection ClientCertificates { get; } = [];

    /// <summary>Why the last certificate was refused, or null.</summary>
    public string? LastFailure { get; private set; }

    public bool SkipVerify { get; init; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None || SkipVerify) return true;
        if (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && _roots.Count > 0)
        {
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
                foreach (var element in chain.ChainElements.Skip(1)) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            if (custom.Build(new X509Certificate2(certificate))) return true;
            LastFailure = "certificate signed by unknown authority (" + string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim())) + ")";
            return false;
        }
        LastFailure = errors switch
        {
            SslPolicyErrors.RemoteCertificateNameMismatch => "certificate is not valid for this host name",
            SslPolicyErrors.RemoteCertificateNotAvailable => "no certificate presented",
            _ when errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) =>
                "certificate signed by unknown authority" + (chain is null ? "" : " (" + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())) + ")"),
            _ => errors.ToString(),
        };
        return false;
    }
}
