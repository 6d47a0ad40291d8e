using System.Text.Json;
using Berth.Api.Dto;

namespace Berth.Api.Streams;

/// <summary>A JSON message stream (build, load): each message one JSON object and <c>\r\n</c>, flushed as it is
/// written, as dockerd's jsonmessage stream. Thread-safe: a build's parallel stages report at once.</summary>
internal sealed class JsonMessageWriter(Stream output)
{
    private readonly Lock _gate = new();

    public void Write(JsonMessage message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, ApiJsonContext.Default.JsonMessage);
        lock (_gate)
        {
            output.Write(bytes);
            output.Write("\r\n"u8);
            output.Flush();
        }
    }

    public void Stream(string text) => Write(new JsonMessage { Stream = text });

    public void Error(string message, int code = 0) => Write(new JsonMessage { Error = message, ErrorDetail = new ErrorDetail { Message = message, Code = code } });
}
