namespace Berth.Dockerfile.Parser;

/// <summary>
/// A node of the Dockerfile AST, shaped as BuildKit's <c>parser.Node</c> so the golden dumps compare byte for
/// byte. The root's <see cref="Children"/> are the instructions; an instruction's <see cref="Value"/> is its
/// keyword as written, <see cref="Flags"/> its <c>--flags</c>, and <see cref="Next"/> the chain of argument
/// nodes. ONBUILD's single argument node has an empty value and the trigger instruction as its one child.
/// </summary>
public sealed class Node
{
    /// <summary>The token: an instruction keyword or one argument.</summary>
    public string Value { get; init; } = "";

    /// <summary>The next argument in this instruction, or null.</summary>
    public Node? Next { get; internal set; }

    /// <summary>Instructions under the root, or ONBUILD's trigger.</summary>
    public IReadOnlyList<Node> Children { get; internal set; } = [];

    /// <summary>The <c>--flag[=value]</c> words before the arguments, quotes and escapes removed.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    /// <summary>Heredoc bodies attached to a RUN/COPY/ADD (or ONBUILD of one), in the order they were opened.</summary>
    public IReadOnlyList<Heredoc> Heredocs { get; internal set; } = [];

    /// <summary>True when the arguments were a JSON array of strings (exec form).</summary>
    public bool IsJson { get; init; }

    /// <summary>The logical line (continuations joined) the instruction came from.</summary>
    public string Original { get; init; } = "";

    /// <summary>1-based first physical line; 0 for argument nodes.</summary>
    public int StartLine { get; internal set; }

    /// <summary>1-based last physical line consumed, including heredoc bodies and skipped blank lines.</summary>
    public int EndLine { get; internal set; }

    /// <summary>The comment lines directly above the instruction, without their '#'.</summary>
    public IReadOnlyList<string> PrevComments { get; init; } = [];

    /// <summary>The argument values in order (for ONBUILD: the trigger keyword and its arguments).</summary>
    public IReadOnlyList<string> Arguments
    {
        get
        {
            var result = new List<string>();
            for (var n = Next; n is not null; n = n.Next)
            {
                if (n.Children.Count == 0)
                {
                    result.Add(n.Value);
                }
                else if (n.Children.Count == 1)
                {
                    result.Add(n.Children[0].Value);
                    result.AddRange(n.Children[0].Arguments);
                }
            }
            return result;
        }
    }
}
