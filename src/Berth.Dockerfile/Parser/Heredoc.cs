namespace Berth.Dockerfile.Parser;

/// <summary>
/// A here-document opened by <c>&lt;&lt;NAME</c> on a RUN, COPY or ADD line.
/// </summary>
/// <param name="Name">The delimiter with quotes removed.</param>
/// <param name="FileDescriptor">N in <c>N&lt;&lt;NAME</c>; 0 when absent.</param>
/// <param name="Expand">False when any part of the name was quoted: the body is then taken literally.</param>
/// <param name="Chomp">True for <c>&lt;&lt;-</c>: leading tabs are stripped from the body and the delimiter line.</param>
/// <param name="Content">The raw body, line terminators kept, without the delimiter line.</param>
public sealed record Heredoc(string Name, int FileDescriptor, bool Expand, bool Chomp, string Content)
{
    /// <summary>The body with leading tabs removed from each line when <see cref="Chomp"/> is set.</summary>
    public string EffectiveContent => Chomp ? HeredocParser.ChompContent(Content) : Content;
}
