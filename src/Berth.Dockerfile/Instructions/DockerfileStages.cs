using Berth.Dockerfile.Parser;
using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// A Dockerfile split into stages, with the global ARGs declared before the first FROM, and the dependency function
/// the builder uses to build only what a target needs (BuildKit's <c>dockerfile2llb</c>: a broken stage the target
/// does not reach does not fail the build).
/// </summary>
public sealed class DockerfileStages
{
    private DockerfileStages(ParseResult source, IReadOnlyList<ArgInstruction> globalArgs, IReadOnlyList<Stage> stages)
    {
        Source = source;
        GlobalArgs = globalArgs;
        Stages = stages;
    }

    public ParseResult Source { get; }

    /// <summary>ARGs before the first FROM: visible to FROM lines, and to stages that redeclare them.</summary>
    public IReadOnlyList<ArgInstruction> GlobalArgs { get; }

    public IReadOnlyList<Stage> Stages { get; }

    /// <summary>Parses text and splits it into stages.</summary>
    /// <exception cref="DockerfileParseException">The Dockerfile is invalid.</exception>
    public static DockerfileStages Parse(string text, string file = "Dockerfile") => From(DockerfileParser.Parse(text, file));

    /// <summary>Splits a parsed Dockerfile into stages.</summary>
    /// <exception cref="DockerfileParseException">An instruction is invalid or precedes the first FROM.</exception>
    public static DockerfileStages From(ParseResult source)
    {
        var globalArgs = new List<ArgInstruction>();
        var stages = new List<Stage>();
        FromInstruction? from = null;
        var body = new List<Instruction>();
        var names = new HashSet<string>(StringComparer.Ordinal);

        void Close()
        {
            if (from is not null)
            {
                stages.Add(new Stage(stages.Count, from.StageName, from, [.. body]));
                body.Clear();
            }
        }

        foreach (var node in source.Root.Children)
        {
            var instruction = InstructionParser.Parse(node, source);
            switch (instruction)
            {
                case FromInstruction f:
                    Close();
                    if (f.StageName is { } name && !names.Add(name))
                    {
                        throw f.Location.Error($"duplicate stage name \"{name}\"");
                    }
                    from = f;
                    break;
                case ArgInstruction a when from is null:
                    globalArgs.Add(a);
                    break;
                default:
                    if (from is null)
                    {
                        throw instruction.Location.Error("no build stage in current context");
                    }
                    body.Add(instruction);
                    break;
            }
        }
        Close();
        if (stages.Count == 0)
        {
            throw new DockerfileParseException("no build stage in current context", source.File, Math.Max(1, source.Root.EndLine), 1,
                source.LineText(source.Root.EndLine));
        }
        return new DockerfileStages(source, globalArgs, stages);
    }

    /// <summary>
    /// The scope for FROM lines: each global ARG in order, taking the value from <paramref name="buildArgs"/> when
    /// given there, else its default expanded with the ARGs before it. An ARG with neither stays unset.
    /// </summary>
    /// <exception cref="DockerfileParseException">A default value cannot be expanded.</exception>
    public VariableScope GlobalScope(IReadOnlyDictionary<string, string> buildArgs)
    {
        ArgumentNullException.ThrowIfNull(buildArgs);
        var scope = new VariableScope();
        foreach (var arg in GlobalArgs)
        {
            var expanded = (ArgInstruction)arg.Expand(new Expander(scope, Source.EscapeToken));
            foreach (var def in expanded.Args)
            {
                if (buildArgs.TryGetValue(def.Name, out var given))
                {
                    scope.Set(def.Name, given);
                }
                else if (def.DefaultValue is not null)
                {
                    scope.Set(def.Name, def.DefaultValue);
                }
            }
        }
        return scope;
    }

    /// <summary>The stage named <paramref name="nameOrIndex"/> (case-insensitive) or with that index, or null.</summary>
    public Stage? FindStage(string nameOrIndex)
    {
        ArgumentNullException.ThrowIfNull(nameOrIndex);
        var lower = nameOrIndex.ToLowerInvariant();
        var byName = Stages.FirstOrDefault(s => s.Name == lower);
        if (byName is not null)
        {
            return byName;
        }
        return int.TryParse(nameOrIndex, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i)
            && i >= 0 && i < Stages.Count ? Stages[i] : null;
    }

    /// <summary>
    /// The stages <paramref name="stage"/> uses directly: its FROM if that names an earlier stage, and every
    /// <c>COPY --from</c> and <c>RUN --mount=from=</c> naming a stage (by name or index). Names are expanded
    /// with <paramref name="globalScope"/> (see <see cref="GlobalScope"/>); anything else is an image reference.
    /// </summary>
    /// <exception cref="DockerfileParseException">A reference is malformed or a stage refers to itself.</exception>
    public IReadOnlyList<StageDependency> Dependencies(Stage stage, IVariableScope globalScope)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(globalScope);
        var deps = new List<StageDependency>();
        var from = (FromInstruction)stage.From.Expand(new Expander(globalScope, Source.EscapeToken));
        var baseName = from.BaseName.ToLowerInvariant();
        // FROM only sees stages above it: "FROM node AS node" means the node image.
        var baseStage = Stages.Take(stage.Index).LastOrDefault(s => s.Name == baseName);
        if (baseStage is not null)
        {
            deps.Add(new StageDependency(baseStage, stage.From));
        }

        foreach (var instruction in stage.Instructions)
        {
            switch (instruction)
            {
                case CopyInstruction { From: { } f } copy:
                    AddReference(Expand(copy, f, globalScope), copy);
                    break;
                case RunInstruction run:
                    foreach (var m in run.Mounts)
                    {
                        var mountFrom = m switch { BindMount b => b.From, CacheMount c => c.From, _ => null };
                        if (mountFrom is not null)
                        {
                            AddReference(mountFrom, run);
                        }
                    }
                    break;
            }
        }
        return deps;

        void AddReference(string name, Instruction via)
        {
            var target = FindStage(name);
            if (target is null)
            {
                return;
            }
            if (target.Index == stage.Index)
            {
                throw via.Location.Error($"{via.Keyword}: stage \"{stage.DisplayName}\" refers to itself");
            }
            deps.Add(new StageDependency(target, via));
        }
    }

    private string Expand(Instruction via, string word, IVariableScope scope)
    {
        try
        {
            return new Expander(scope, Source.EscapeToken).Word(word);
        }
        catch (ShellExpansionException e)
        {
            throw via.Location.Error($"{via.Keyword}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The stages needed to build <paramref name="target"/> (the last stage when null), dependencies first and
    /// the target last; stages it does not reach are left out.
    /// </summary>
    /// <exception cref="DockerfileParseException">The target does not exist or the stages form a cycle.</exception>
    public IReadOnlyList<Stage> RequiredStages(string? target, IVariableScope globalScope)
    {
        ArgumentNullException.ThrowIfNull(globalScope);
        var targetStage = target is null ? Stages[^1] : FindStage(target);
        if (targetStage is null)
        {
            throw new DockerfileParseException($"target stage \"{target}\" could not be found", Source.File, 1, 1, Source.LineText(1));
        }
        var order = new List<Stage>();
        var state = new Dictionary<int, bool>(); // false = in progress, true = done
        Visit(targetStage);
        return order;

        void Visit(Stage s)
        {
            if (state.TryGetValue(s.Index, out var done))
            {
                if (!done)
                {
                    throw s.From.Location.Error($"circular dependency detected on stage: {s.DisplayName}");
                }
                return;
            }
            state[s.Index] = false;
            foreach (var dep in Dependencies(s, globalScope))
            {
                Visit(dep.Stage);
            }
            state[s.Index] = true;
            order.Add(s);
        }
    }
}
