using Berth.Oci.Errors;
using Berth.Runtime.Init;

namespace Berth.Runtime.Tests.Init;

public sealed class InitMessageTests
{
    [Fact]
    public void ReportsSurviveTheWireWithTheirKindCodeAndAMultiLineMessage()
    {
        // An init's error (a mount that failed, with the kernel's words over several lines) must reach the caller whole.
        var sent = new InitMessage { Type = InitMessage.Error, Kind = ErrorKind.PermissionDenied, ExitCode = -3, Message = "mount /proc:\nEPERM\n" };
        Assert.Equal(sent, InitMessage.Decode(sent.Encode()));
        var ready = new InitMessage { Type = InitMessage.Ready };
        Assert.Equal(ready, InitMessage.Decode(ready.Encode()));
        Assert.Equal(127, InitMessage.Decode(new InitMessage { Type = InitMessage.Exec, ExitCode = 127, Message = "not found" }.Encode()).ExitCode);
    }

    [Theory]
    [InlineData("ready")]
    [InlineData("ready\nx\n0\n")]
    [InlineData("{\"type\":\"ready\"}")]
    public void AMalformedReportIsAnErrorNotAGuess(string datagram) =>
        Assert.Equal(ErrorKind.Internal, Assert.Throws<BerthException>(() => InitMessage.Decode(System.Text.Encoding.UTF8.GetBytes(datagram))).Kind);
}
