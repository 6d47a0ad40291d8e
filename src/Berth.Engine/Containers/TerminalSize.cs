namespace Berth.Engine.Containers;

/// <summary>A terminal's size in character cells, as the Engine API's <c>h</c>/<c>w</c> resize parameters and
/// <c>ConsoleSize</c> give it. A zero dimension means "unknown" and is not applied.</summary>
public readonly record struct TerminalSize(ushort Height, ushort Width)
{
    public bool IsKnown => Height > 0 && Width > 0;
}
