using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;

namespace Berth.Oci;

public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string? s = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return Digest.TryParse(s, out var d) ? d : throw new JsonException($"invalid digest \"{s}\"");
    }

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
