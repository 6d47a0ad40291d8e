using System.Text;

namespace Berth.Dockerfile.Shell;

/// <summary>
/// Expands one Dockerfile word the way BuildKit's <c>shell/lex.go</c> does: removes quotes, honours the escape
/// token, and expands <c>$a</c>, <c>${a}</c> and <c>${a&lt;op&gt;word}</c> for the ops
/// <c>:- - :+ + :? ? # ## % %% / //</c>. It is not a shell: no command substitution, no globbing, no
/// arithmetic. The conformance data is <c>tests/conformance/shell-lex</c> (<c>envVarTest</c>, <c>wordsTest</c>).
/// </summary>
/// <remarks>
/// <see cref="ProcessWord"/> keeps whitespace and returns one string (ENV values, WORKDIR, COPY paths).
/// <see cref="ProcessWords"/> splits on whitespace produced outside quotes, after expansion (EXPOSE, heredoc names).
/// Instances are immutable and safe to share.
/// </remarks>
public sealed class ShellLexer
{
    public ShellLexer(char escapeToken = '\\') => EscapeToken = escapeToken;

    /// <summary>The escape character: <c>\</c> by default, <c>`</c> under <c># escape=`</c>.</summary>
    public char EscapeToken { get; }

    /// <summary>Keep quote characters in the output (used to detect quoted heredoc names).</summary>
    public bool RawQuotes { get; init; }

    /// <summary>Keep escape characters in the output.</summary>
    public bool RawEscapes { get; init; }

    /// <summary>Leave references to unset variables as written (<c>$a</c>, <c>${a:-b}</c>) instead of expanding.</summary>
    public bool SkipUnsetEnv { get; init; }

    /// <summary>Treat quotes as ordinary characters (used for heredoc bodies, where quotes are content).</summary>
    public bool SkipProcessQuotes { get; init; }

    /// <summary>Expands <paramref name="word"/> into one string without word splitting.</summary>
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>?</c> op failed.</exception>
    public ShellWordResult ProcessWord(string word, IVariableScope env)
    {
        var sw = new ShellWord(this, word, env);
        var (result, _) = sw.Process();
        return new ShellWordResult(result, sw.Matches, sw.NonMatches);
    }

    /// <summary>Expands <paramref name="word"/> and splits it into words at unquoted whitespace.</summary>
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>?</c> op failed.</exception>
    public ShellWordsResult ProcessWords(string word, IVariableScope env)
    {
        var sw = new ShellWord(this, word, env);
        var (_, words) = sw.Process();
        return new ShellWordsResult(words, sw.Matches, sw.NonMatches);
    }

    /// <summary>One expansion in progress: a rune scanner over the input plus the variables seen.</summary>
    private sealed class ShellWord
    {
        private const int Eof = -1;

        private readonly ShellLexer _lexer;
        private readonly string _source;
        private readonly IVariableScope _env;
        private readonly bool _skipUnsetEnv;
        private readonly bool _skipProcessQuotes;
        private readonly bool _rawQuotes;
        private bool _rawEscapes;
        private int _pos;

        public ShellWord(ShellLexer lexer, string source, IVariableScope env)
        {
            _lexer = lexer;
            _source = source;
            _env = env;
            _skipUnsetEnv = lexer.SkipUnsetEnv;
            _skipProcessQuotes = lexer.SkipProcessQuotes;
            _rawQuotes = lexer.RawQuotes;
            _rawEscapes = lexer.RawEscapes;
        }

        public HashSet<string> Matches { get; } = new(StringComparer.Ordinal);

        public HashSet<string> NonMatches { get; } = new(StringComparer.Ordinal);

        private int Escape => _lexer.EscapeToken;

        public (string Result, List<string> Words) Process()
        {
            try
            {
                return ProcessStopOn(Eof, _rawEscapes);
            }
            catch (ShellExpansionException e)
            {
                throw new ShellExpansionException($"failed to process \"{_source}\": {e.Message}");
            }
        }

        // Runes, not UTF-16 units: names may hold any Unicode letter, and '?' in a pattern is one code point.
        private int Peek()
        {
            if (_pos >= _source.Length)
            {
                return Eof;
            }
            return Rune.DecodeFromUtf16(_source.AsSpan(_pos), out var r, out _) == System.Buffers.OperationStatus.Done
                ? r.Value
                : _source[_pos];
        }

        private int Next()
        {
            if (_pos >= _source.Length)
            {
                return Eof;
            }
            if (Rune.DecodeFromUtf16(_source.AsSpan(_pos), out var r, out var used) == System.Buffers.OperationStatus.Done)
            {
                _pos += used;
                return r.Value;
            }
            return _source[_pos++];
        }

        private (string, List<string>) ProcessStopOn(int stopChar, bool rawEscapes)
        {
            var result = new StringBuilder();
            var words = new WordsBuilder();
            var saved = _rawEscapes;
            _rawEscapes = rawEscapes;
            try
            {
                while (Peek() != Eof)
                {
                    var ch = Peek();
                    if (stopChar != Eof && ch == stopChar)
                    {
                        Next();
                        return (result.ToString(), words.GetWords());
                    }
                    if (ch == '$')
                    {
                        var tmp = ProcessDollar();
                        result.Append(tmp);
                        words.AddString(tmp);
                    }
                    else if (!_skipProcessQuotes && (ch == '\'' || ch == '"'))
                    {
                        var tmp = ch == '\'' ? ProcessSingleQuote() : ProcessDoubleQuote();
                        result.Append(tmp);
                        words.AddRawString(tmp);
                    }
                    else
                    {
                        ch = Next();
                        if (ch == Escape)
                        {
                            if (_rawEscapes)
                            {
                                words.AddRawChar(ch);
                                AppendRune(result, ch);
                            }
                            // The escape token escapes the next character, except at the end of the word.
                            ch = Next();
                            if (ch == Eof)
                            {
                                break;
                            }
                            words.AddRawChar(ch);
                        }
                        else
                        {
                            words.AddChar(ch);
                        }
                        AppendRune(result, ch);
                    }
                }
                if (stopChar != Eof)
                {
                    throw new ShellExpansionException($"unexpected end of statement while looking for matching {char.ConvertFromUtf32(stopChar)}");
                }
                return (result.ToString(), words.GetWords());
            }
            finally
            {
                _rawEscapes = saved;
            }
        }

        // Single quotes keep every character literally; a single quote cannot be escaped inside them.
        private string ProcessSingleQuote()
        {
            var result = new StringBuilder();
            var ch = Next();
            if (_rawQuotes)
            {
                AppendRune(result, ch);
            }
            while (true)
            {
                ch = Next();
                if (ch == Eof)
                {
                    throw new ShellExpansionException("unexpected end of statement while looking for matching single-quote");
                }
                if (ch == '\'')
                {
                    if (_rawQuotes)
                    {
                        AppendRune(result, ch);
                    }
                    return result.ToString();
                }
                AppendRune(result, ch);
            }
        }

        // Double quotes keep everything but '$' expansions; the escape token only escapes '"', '$' and itself.
        private string ProcessDoubleQuote()
        {
            var result = new StringBuilder();
            var ch = Next();
            if (_rawQuotes)
            {
                AppendRune(result, ch);
            }
            while (true)
            {
                switch (Peek())
                {
                    case Eof:
                        throw new ShellExpansionException("unexpected end of statement while looking for matching double-quote");
                    case '"':
                        ch = Next();
                        if (_rawQuotes)
                        {
                            AppendRune(result, ch);
                        }
                        return result.ToString();
                    case '$':
                        result.Append(ProcessDollar());
                        break;
                    default:
                        ch = Next();
                        if (ch == Escape)
                        {
                            if (_rawEscapes)
                            {
                                AppendRune(result, ch);
                            }
                            var peek = Peek();
                            if (peek == Eof)
                            {
                                // An escape at the very end is dropped; the missing quote is reported next.
                                continue;
                            }
                            if (peek == '"' || peek == '$' || peek == Escape)
                            {
                                ch = Next();
                            }
                        }
                        AppendRune(result, ch);
                        break;
                }
            }
        }

        private string ProcessDollar()
        {
            Next();
            if (Peek() != '{')
            {
                var name = ProcessName();
                if (name.Length == 0)
                {
                    return "$";
                }
                var found = GetEnv(name, out var value);
                if (!found && _skipUnsetEnv)
                {
                    return "$" + name;
                }
                return value;
            }

            Next();
            switch (Peek())
            {
                case Eof:
                    throw new ShellExpansionException("syntax error: missing '}'");
                case '{' or '}' or ':':
                    throw new ShellExpansionException("syntax error: bad substitution");
            }
            var varName = ProcessName();
            var ch = Next();
            var chs = ch == Eof ? "" : char.ConvertFromUtf32(ch);
            var nullIsUnset = false;

            switch (ch)
            {
                case '}':
                    {
                        var set = GetEnv(varName, out var value);
                        if (!set && _skipUnsetEnv)
                        {
                            return "${" + varName + "}";
                        }
                        return value;
                    }
                case ':':
                case '+' or '-' or '?' or '#' or '%':
                    {
                        if (ch == ':')
                        {
                            nullIsUnset = true;
                            ch = Next();
                            chs += ch == Eof ? "" : char.ConvertFromUtf32(ch);
                        }
                        var rawEscapes = ch is '#' or '%';
                        if (nullIsUnset && rawEscapes)
                        {
                            throw new ShellExpansionException($"unsupported modifier ({chs}) in substitution");
                        }
                        string word;
                        try
                        {
                            (word, _) = ProcessStopOn('}', rawEscapes);
                        }
                        catch (ShellExpansionException) when (Peek() == Eof)
                        {
                            throw new ShellExpansionException("syntax error: missing '}'");
                        }

                        var set = GetEnv(varName, out var value);
                        if (_skipUnsetEnv && !set)
                        {
                            return "${" + varName + chs + word + "}";
                        }
                        switch (ch)
                        {
                            case '-':
                                return !set || (nullIsUnset && value.Length == 0) ? word : value;
                            case '+':
                                return !set || (nullIsUnset && value.Length == 0) ? "" : word;
                            case '?':
                                if (!set)
                                {
                                    throw new ShellExpansionException($"{varName}: {(word.Length > 0 ? word : "is not allowed to be unset")}");
                                }
                                if (nullIsUnset && value.Length == 0)
                                {
                                    throw new ShellExpansionException($"{varName}: {(word.Length > 0 ? word : "is not allowed to be empty")}");
                                }
                                return value;
                            case '#' or '%':
                                {
                                    // '#'/'%' remove the shortest match, '##'/'%%' the longest.
                                    var greedy = false;
                                    if (word.Length > 0 && word[0] == ch)
                                    {
                                        greedy = true;
                                        word = word[1..];
                                    }
                                    return ch == '%'
                                        ? ShellPattern.TrimSuffix(word, value, greedy)
                                        : ShellPattern.TrimPrefix(word, value, greedy);
                                }
                            default:
                                throw new ShellExpansionException($"unsupported modifier ({chs}) in substitution");
                        }
                    }
                case '/':
                    {
                        var replaceAll = Peek() == '/';
                        if (replaceAll)
                        {
                            Next();
                        }
                        string pattern;
                        try
                        {
                            (pattern, _) = ProcessStopOn('/', true);
                        }
                        catch (ShellExpansionException) when (Peek() == Eof)
                        {
                            throw new ShellExpansionException("syntax error: missing '/' in ${}");
                        }
                        string replacement;
                        try
                        {
                            (replacement, _) = ProcessStopOn('}', true);
                        }
                        catch (ShellExpansionException) when (Peek() == Eof)
                        {
                            throw new ShellExpansionException("syntax error: missing '}'");
                        }
                        var set = GetEnv(varName, out var value);
                        if (_skipUnsetEnv && !set)
                        {
                            return "${" + varName + "/" + pattern + "/" + replacement + "}";
                        }
                        return ShellPattern.Replace(pattern, value, replacement, replaceAll);
                    }
                default:
                    throw new ShellExpansionException($"unsupported modifier ({chs}) in substitution");
            }
        }

        // A name is letters, digits and '_'; a leading digit reads all digits (positional parameters), and one of
        // @*#?-$!0 alone is a special parameter. Neither kind is ever set in a Dockerfile.
        private string ProcessName()
        {
            var name = new StringBuilder();
            while (Peek() != Eof)
            {
                var ch = Peek();
                if (name.Length == 0 && IsDigit(ch))
                {
                    while (Peek() != Eof && IsDigit(Peek()))
                    {
                        AppendRune(name, Next());
                    }
                    return name.ToString();
                }
                if (name.Length == 0 && ch is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0')
                {
                    return char.ConvertFromUtf32(Next());
                }
                if (!IsLetter(ch) && !IsDigit(ch) && ch != '_')
                {
                    break;
                }
                AppendRune(name, Next());
            }
            return name.ToString();
        }

        private bool GetEnv(string name, out string value)
        {
            if (name.Length > 0 && _env.TryGetValue(name, out value))
            {
                Matches.Add(name);
                return true;
            }
            NonMatches.Add(name);
            value = "";
            return false;
        }

        private static bool IsDigit(int ch) => Rune.IsValid(ch) && Rune.IsDigit(new Rune(ch));

        private static bool IsLetter(int ch) => Rune.IsValid(ch) && Rune.IsLetter(new Rune(ch));

        internal static bool IsSpace(int ch) => Rune.IsValid(ch) && Rune.IsWhiteSpace(new Rune(ch));

        internal static void AppendRune(StringBuilder sb, int ch)
        {
            if (Rune.IsValid(ch))
            {
                sb.Append(new Rune(ch));
            }
            else
            {
                sb.Append((char)ch);
            }
        }
    }

    /// <summary>Accumulates split words: whitespace from expansions splits, quoted text never does.</summary>
    private sealed class WordsBuilder
    {
        private readonly StringBuilder _word = new();
        private readonly List<string> _words = [];
        private bool _inWord;

        public void AddChar(int ch)
        {
            if (ShellWord.IsSpace(ch))
            {
                if (_inWord && _word.Length != 0)
                {
                    _words.Add(_word.ToString());
                    _word.Clear();
                    _inWord = false;
                }
            }
            else
            {
                AddRawChar(ch);
            }
        }

        public void AddRawChar(int ch)
        {
            ShellWord.AppendRune(_word, ch);
            _inWord = true;
        }

        public void AddString(string s)
        {
            foreach (var r in s.EnumerateRunes())
            {
                AddChar(r.Value);
            }
        }

        public void AddRawString(string s)
        {
            _word.Append(s);
            _inWord = true;
        }

        public List<string> GetWords()
        {
            if (_word.Length > 0)
            {
                _words.Add(_word.ToString());
                _word.Clear();
                _inWord = false;
            }
            return _words;
        }
    }
}
