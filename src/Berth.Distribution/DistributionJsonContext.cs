using System.Text.Json.Serialization;

namespace Berth.Distribution;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Credentials.HelperCredentials))]
[JsonSerializable(typeof(Client.TokenResponse))]
[JsonSerializable(typeof(Client.ErrorResponse))]
[JsonSerializable(typeof(Client.TagList))]
[JsonSerializable(typeof(Client.RegistrySettings))]
internal sealed partial class DistributionJsonContext : JsonSerializerContext;
