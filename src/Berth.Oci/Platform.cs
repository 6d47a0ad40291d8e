using System.Text.Json.Serialization;

namespace Berth.Oci;

/// <see href="https://github.com/opencontainers/image-spec/blob/main/image-index.md"/>
public sealed record Platform
{
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("os")] public required string Os { get; init; }
    [JsonPropertyName("variant")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Variant { get; init; }

    public static Platform Host { get; } = new() { Architecture = "amd64", Os = "linux" };

    /// <summary>docker's <c>--platform</c> / the API's <c>platform</c>: <c>os</c>, <c>arch</c>, <c>os/arch</c> or
    /// <c>os/arch/variant</c>, with containerd's normalised architecture names.</summary>
    public static Platform Parse(string value)
    {
        var parts = value.ToLowerInvariant().Split('/');
        static string Arch(string a) => a switch { "x86_64" or "x86-64" => "amd64", "aarch64" => "arm64", "i386" => "386", _ => a };
        return parts.Length switch
        {
            1 when parts[0] is "linux" or "windows" or "darwin" or "freebsd" => new Platform { Os = parts[0], Architecture = Host.Architecture },
            1 => new Platform { Os = "linux", Architecture = Arch(parts[0]) },
            2 => new Platform { Os = parts[0], Architecture = Arch(parts[1]) },
            3 => new Platform { Os = parts[0], Architecture = Arch(parts[1]), Variant = parts[2] },
            _ => throw Errors.BerthException.Invalid($"\"{value}\": invalid platform: want os/arch[/variant]"),
        };
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
