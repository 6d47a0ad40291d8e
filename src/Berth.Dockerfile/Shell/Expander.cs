namespace Berth.Dockerfile.Shell;

/// <summary>
/// Expands instruction arguments against the variables in effect (the builder passes the stage's ARG and ENV
/// values, or the global ARGs for FROM), and records which variables the expansion used: the build cache keys a step
/// on exactly the build args in <see cref="Used"/>. One expander per instruction keeps that record per step.
/// </summary>
public sealed class Expander
{
    private readonly ShellLexer _lexer;
    private readonly ShellLexer _heredocLexer;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unset = new(StringComparer.Ordinal);

    public Expander(IVariableScope scope, char escapeToken = '\\')
    {
        Scope = scope;
        _lexer = new ShellLexer(escapeToken);
        // BuildKit's ExpandRaw: heredoc bodies always use the backslash escape, whatever the file's escape directive says.
        _heredocLexer = new ShellLexer('\\') { SkipProcessQuotes = true };
    }

    public IVariableScope Scope { get; }

    /// <summary>Names that were referenced and set.</summary>
    public IReadOnlySet<string> Used => _used;

    /// <summary>Names that were referenced while unset (they expanded to empty).</summary>
    public IReadOnlySet<string> Unset => _unset;

    /// <summary>One word, quotes removed, no splitting (ENV values, paths, USER, WORKDIR).</summary>
    /// <exception cref="ShellExpansionException">The word is malformed.</exception>
    public string Word(string word)
    {
        var r = _lexer.ProcessWord(word, Scope);
        Record(r.Matched, r.Unmatched);
        return r.Result;
    }

    /// <summary>Expansion with splitting at unquoted whitespace (EXPOSE).</summary>
    /// <exception cref="ShellExpansionException">The word is malformed.</exception>
    public IReadOnlyList<string> Words(string word)
    {
        var r = _lexer.ProcessWords(word, Scope);
        Record(r.Matched, r.Unmatched);
        return r.Words;
    }

    /// <summary>A heredoc body: variables and escapes are processed, quotes are content and stay.</summary>
    /// <exception cref="ShellExpansionException">The body is malformed.</exception>
    public string HeredocContent(string data)
    {
        var r = _heredocLexer.ProcessWord(data, Scope);
        Record(r.Matched, r.Unmatched);
        return r.Result;
    }

    private void Record(IReadOnlySet<string> matched, IReadOnlySet<string> unmatched)
    {
        _used.UnionWith(matched);
        _unset.UnionWith(unmatched);
    }
}
