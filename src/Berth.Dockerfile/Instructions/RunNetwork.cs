namespace Berth.Dockerfile.Instructions;

/// <summary>The network of a RUN step (<c>--network</c>).</summary>
public enum RunNetwork
{
    Default,
    None,
    Host,
}
