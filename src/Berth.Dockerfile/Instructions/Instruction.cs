using Berth.Dockerfile.Shell;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// One Dockerfile instruction as typed, unexpanded data (BuildKit's <c>instructions/commands.go</c>). Values are as
/// written, quotes included, until <see cref="Expand"/> resolves them against the ARG and ENV in effect; the build
/// engine calls it for every instruction, in order, because only it knows the scope at that point.
/// </summary>
public abstract record Instruction
{
    /// <summary>Where the instruction is in the Dockerfile.</summary>
    public required SourceLocation Location { get; init; }

    /// <summary>The logical line (continuations joined), as the history's <c>created_by</c> wants it.</summary>
    public required string Original { get; init; }

    /// <summary>The instruction keyword in upper case (<c>RUN</c>).</summary>
    public abstract string Keyword { get; }

    /// <summary>
    /// A copy with every expandable argument expanded (BuildKit expands ENV, ARG, LABEL, EXPOSE, USER, WORKDIR,
    /// VOLUME, STOPSIGNAL, COPY/ADD paths and flags, RUN mounts, FROM). RUN/CMD/ENTRYPOINT command text is left
    /// for the shell. Errors carry this instruction's location.
    /// </summary>
    /// <exception cref="DockerfileParseException">An argument is malformed or a <c>${a:?}</c> failed.</exception>
    public Instruction Expand(Expander expander)
    {
        ArgumentNullException.ThrowIfNull(expander);
        try
        {
            return ExpandCore(expander);
        }
        catch (ShellExpansionException e)
        {
            throw Location.Error($"{Keyword}: {e.Message}", e);
        }
        catch (InstructionException e)
        {
            throw Location.Error($"{Keyword}: {e.Message}", e);
        }
    }

    /// <summary>The expansion proper; the default is nothing to expand.</summary>
    protected virtual Instruction ExpandCore(Expander expander) => this;
}
