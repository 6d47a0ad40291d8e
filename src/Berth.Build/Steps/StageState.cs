using Berth.Dockerfile.Shell;
using Berth.Oci;

namespace Berth.Build.Steps;

/// <summary>The image a stage has built so far: config, history, layers, and the cache key that stands for all of
/// it; plus the build-time scope (declared ARGs, SHELL) that is not part of the image.</summary>
public sealed class StageState
{
    public required string Key { get; set; }
    public required ContainerConfig Config { get; set; }
    public string? Author { get; set; }
    public List<History> History { get; init; } = [];
    public List<LayerRef> Layers { get; init; } = [];
    public VariableScope Args { get; init; } = new();
    public IReadOnlyList<string> Shell { get; set; } = ["/bin/sh", "-c"];
    public bool CmdSet { get; set; }
    /// <summary>This stage's steps ignore the cache (<c>--no-cache</c>, or the stage is in <c>--no-cache-filter</c>).</summary>
    public bool NoCache { get; set; }

    public Digest? TopChain => Layers.Count == 0 ? null : Layers[^1].ChainId;

    public StageState Clone() => new()
    {
        Key = Key, Config = Config, Author = Author, History = [.. History], Layers = [.. Layers],
        Args = new VariableScope(), Shell = Shell,
    };

    /// <summary>ENV as a map, for expansion (ENV wins over ARG of the same name, as in BuildKit).</summary>
    public VariableScope ExpansionScope()
    {
        var scope = new VariableScope(Args.Values);
        foreach (var e in Config.Env ?? [])
        {
            int eq = e.IndexOf('=');
            if (eq > 0) scope.Set(e[..eq], e[(eq + 1)..]);
        }
        return scope;
    }
}
