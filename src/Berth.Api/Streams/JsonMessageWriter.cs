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
        // The message and its line end in one write, so one chunk: docker-py's splitter fails on a chunk that is
        // only the "\r\n" of the previous message.
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, ApiJsonContext.Default.JsonMessage);
        var line = new byte[bytes.Length + 2];
        bytes.CopyTo(line, 0);
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        lock (_gate)
        {
            output.Write(line);
            output.Flush();
        }
    }

    public void Stream(string text) => Write(new JsonMessage { Stream = text });

    public void Error(string message, int code = 0) => Write(new JsonMessage { Error = message, ErrorDetail = new ErrorDetail { Message = message, Code = code } });
}
