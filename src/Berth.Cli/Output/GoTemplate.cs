using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Berth.Cli.Output;

/// <summary>A template error, worded as Go's text/template words it; <see cref="IsParse"/> when the template itself is
/// malformed (docker exits 64), otherwise it failed while executing (exit 1).</summary>
public sealed class TemplateException(string message, bool isParse) : Exception(message)
{
    public bool IsParse { get; } = isParse;
}

/// <summary>Go's text/template as docker's <c>--format</c> and <c>inspect -f</c> use it, over JSON data (what docker's
/// CLI falls back to when a template does not fit its typed structs): fields (<c>.A.B</c>), variables
/// (<c>$</c>, <c>$x := …</c>), pipelines, parenthesised arguments, <c>if</c>/<c>else if</c>/<c>else</c>,
/// <c>range</c> (arrays, and maps in key order, with <c>$k, $v :=</c>), <c>with</c>, comments and <c>{{- -}}</c>
/// trimming; Go's functions (and, or, not, len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge) and
/// docker's (json, join, split, upper, lower, title, pad, truncate). Values print as Go's <c>%v</c> prints them:
/// arrays as <c>[a b]</c>, objects as <c>map[k:v]</c> with sorted keys, JSON null as <c>&lt;nil&gt;</c>. A
/// missing key is an error ("map has no entry for key"), as docker's. Methods of docker's list rows
/// (<c>{{.Label "k"}}</c>) come from the caller.</summary>
public sealed class GoTemplate
{
    /// <summary>Resolves a method call on the template's data (<c>{{.Label "k"}}</c>): false when there is none.</summary>
    public delegate bool MethodResolver(string name, IReadOnlyList<object?> args, out object? result);

    private readonly List<Node> _root;
    private readonly string _text;

    private GoTemplate(string text, List<Node> root)
    {
        _text = text;
        _root = root;
    }

    /// <summary>True when the format asks for docker's table layout (<c>table {{.A}}\t{{.B}}</c>).</summary>
    public static bool IsTable(string format, out string body)
    {
        body = format.StartsWith("table", StringComparison.Ordinal) ? format[5..].TrimStart() : format;
        return format.StartsWith("table", StringComparison.Ordinal);
    }

    /// <summary>Parses a template; docker's CLI turns a literal "\t" and "\n" into tab and newline first.</summary>
    public static GoTemplate Parse(string text)
    {
        text = text.Replace("\\t", "\t").Replace("\\n", "\n");
        var parser = new Parser(text);
        return new GoTemplate(text, parser.ParseAll());
    }

    /// <summary>Runs the template over a JSON document (an inspect result, a list row).</summary>
    public string Execute(string json, MethodResolver? methods = null)
    {
        using var doc = JsonDocument.Parse(json);
        return Execute(doc.RootElement, methods);
    }

    public string Execute(JsonElement data, MethodResolver? methods = null)
    {
        var output = new StringBuilder();
        var state = new State(this, methods, output);
        state.Vars.Add(("$", data));
        state.Walk(_root, data);
        return output.ToString();
    }

    // ---- nodes ----

    private abstract record Node(int Pos);
    private sealed record TextNode(int Pos, string Text) : Node(Pos);
    private sealed record ActionNode(int Pos, Pipeline Pipe) : Node(Pos);
    private sealed record IfNode(int Pos, Pipeline Pipe, List<Node> Then, List<Node>? Else) : Node(Pos);
    private sealed record WithNode(int Pos, Pipeline Pipe, List<Node> Then, List<Node>? Else) : Node(Pos);
    private sealed record RangeNode(int Pos, Pipeline Pipe, List<Node> Body, List<Node>? Else) : Node(Pos);

    private sealed record Pipeline(int Pos, List<string> Decl, List<Command> Commands);
    private sealed record Command(int Pos, List<Operand> Args);

    private abstract record Operand(int Pos);
    private sealed record FieldOp(int Pos, string[] Chain) : Operand(Pos);         // .A.B; empty chain is "."
    private sealed record VariableOp(int Pos, string Name, string[] Chain) : Operand(Pos);
    private sealed record IdentOp(int Pos, string Name) : Operand(Pos);
    private sealed record LiteralOp(int Pos, object? Value) : Operand(Pos);
    private sealed record PipeOp(int Pos, Pipeline Pipe, string[] Chain) : Operand(Pos);

    private static readonly HashSet<string> Functions =
    [
        "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
        "json", "join", "split", "upper", "lower", "title", "pad", "truncate",
    ];

    // ---- parsing ----

    private sealed class Parser(string text)
    {
        private int _pos;
        private readonly List<(string Kind, int Pos, Node? Node, Pipeline? Pipe)> _items = [];

        private int Line(int pos) => 1 + text.AsSpan(0, Math.Min(pos, text.Length)).Count('\n');

        private TemplateException Error(int pos, string what) => new($"template: :{Line(pos)}: {what}", isParse: true);

        public List<Node> ParseAll()
        {
            Lex();
            var i = 0;
            var list = ParseList(ref i, out var end);
            if (end is not null) throw Error(_items[i - 1].Pos, $"unexpected {{{{{end}}}}}");
            return list;
        }

        /// <summary>Splits the text into text and actions; keyword actions (if, range, else, end …) are kept apart.</summary>
        private void Lex()
        {
            var trimNext = false;
            while (_pos < text.Length)
            {
                var open = text.IndexOf("{{", _pos, StringComparison.Ordinal);
                var chunk = open < 0 ? text[_pos..] : text[_pos..open];
                var trimLeft = open >= 0 && open + 2 < text.Length && text[open + 2] == '-' && open + 3 < text.Length && char.IsWhiteSpace(text[open + 3]);
                if (trimNext) chunk = chunk.TrimStart();
                if (trimLeft) chunk = chunk.TrimEnd();
                if (chunk.Length > 0) _items.Add(("text", _pos, new TextNode(_pos, chunk), null));
                if (open < 0) break;
                var start = open + (trimLeft ? 3 : 2);
                var close = FindClose(start);
                if (close == -2) throw Error(open, "unterminated quoted string");
                if (close < 0) throw Error(open, "unclosed action");
                var trimRight = close > start && text[close - 1] == '-' && close - 2 >= start && char.IsWhiteSpace(text[close - 2]);
                var inner = text[start..(trimRight ? close - 1 : close)];
                trimNext = trimRight;
                _pos = close + 2;
                var trimmed = inner.Trim();
                if (trimmed.StartsWith("/*", StringComparison.Ordinal))
                {
                    if (!trimmed.EndsWith("*/", StringComparison.Ordinal)) throw Error(open, "unclosed comment");
                    continue;
                }
                var tokens = new Lexer(inner, start, this).Tokens();
                if (tokens.Count == 0) throw Error(open, "missing value for command");
                var first = tokens[0];
                if (first.Kind == 'i' && first.Text is "if" or "range" or "with" or "else" or "end" or "define" or "template" or "block" or "break" or "continue")
                {
                    switch (first.Text)
                    {
                        case "end":
                            if (tokens.Count != 1) throw Error(open, "unexpected token in end");
                            _items.Add(("end", open, null, null));
                            break;
                        case "else":
                            if (tokens.Count == 1) _items.Add(("else", open, null, null));
                            else if (tokens[1] is { Kind: 'i', Text: "if" }) _items.Add(("elseif", open, null, new PipelineParser(tokens, 2, this).Parse(allowDecl: true)));
                            else throw Error(open, "unexpected token in else");
                            break;
                        case "if" or "range" or "with":
                            _items.Add((first.Text, open, null, new PipelineParser(tokens, 1, this).Parse(allowDecl: true)));
                            break;
                        default:
                            throw Error(open, $"{{{{{first.Text}}}}} is not supported");
                    }
                    continue;
                }
                _items.Add(("action", open, new ActionNode(open, new PipelineParser(tokens, 0, this).Parse(allowDecl: true)), null));
            }
        }

        private int FindClose(int from)
        {
            var inString = '\0';
            for (var i = from; i < text.Length - 1; i++)
            {
                var c = text[i];
                if (inString != '\0')
                {
                    if (c == '\\' && inString == '"') i++;
                    else if (c == inString) inString = '\0';
                    continue;
                }
                if (c is '"' or '`') inString = c;
                else if (c == '}' && text[i + 1] == '}') return i;
            }
            return inString != '\0' ? -2 : -1;
        }

        /// <summary>Nodes up to an unmatched else/else if/end (returned in <paramref name="end"/>) or the end.</summary>
        private List<Node> ParseList(ref int i, out string? end)
        {
            var list = new List<Node>();
            end = null;
            while (i < _items.Count)
            {
                var (kind, pos, node, pipe) = _items[i++];
                switch (kind)
                {
                    case "text" or "action":
                        list.Add(node!);
                        break;
                    case "end" or "else" or "elseif":
                        end = kind;
                        return list;
                    default:
                        list.Add(ParseControl(kind, pos, pipe!, ref i));
                        break;
                }
            }
            return list;
        }

        private Node ParseControl(string kind, int pos, Pipeline pipe, ref int i)
        {
            var body = ParseList(ref i, out var end);
            List<Node>? elseList = null;
            if (end is null) throw Error(pos, "unexpected EOF");
            if (end == "else")
            {
                elseList = ParseList(ref i, out end);
                if (end != "end") throw Error(pos, end is null ? "unexpected EOF" : "expected end; found {{else}}");
            }
            else if (end == "elseif")
            {
                if (kind != "if") throw Error(pos, "else if is only for if");
                // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}} with one shared end.
                var (_, elsePos, _, elsePipe) = _items[i - 1];
                elseList = [ParseControl("if", elsePos, elsePipe!, ref i)];
                return new IfNode(pos, pipe, body, elseList);
            }
            return kind switch
            {
                "if" => new IfNode(pos, pipe, body, elseList),
                "with" => new WithNode(pos, pipe, body, elseList),
                _ => new RangeNode(pos, pipe, body, elseList),
            };
        }

        internal TemplateException ErrorAt(int pos, string what) => Error(pos, what);
    }

    private readonly record struct Token(char Kind, string Text, int Pos); // f field, v variable, i ident, s string, n number, p punct

    private sealed class Lexer(string s, int offset, Parser parser)
    {
        public List<Token> Tokens()
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < s.Length)
            {
                var c = s[i];
                var at = offset + i;
                if (char.IsWhiteSpace(c)) { i++; continue; }
                if (c is '(' or ')' or '|' or ',') { tokens.Add(new('p', c.ToString(), at)); i++; continue; }
                if (c == ':' && i + 1 < s.Length && s[i + 1] == '=') { tokens.Add(new('p', ":=", at)); i += 2; continue; }
                if (c == '=') { tokens.Add(new('p', "=", at)); i++; continue; }
                if (c == '"')
                {
                    var sb = new StringBuilder();
                    i++;
                    while (i < s.Length && s[i] != '"')
                    {
                        if (s[i] == '\\' && i + 1 < s.Length)
                        {
                            i++;
                            sb.Append(s[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', var x => x });
                        }
                        else sb.Append(s[i]);
                        i++;
                    }
                    if (i >= s.Length) throw parser.ErrorAt(at, "unterminated quoted string");
                    i++;
                    tokens.Add(new('s', sb.ToString(), at));
                    continue;
                }
                if (c == '`')
                {
                    var endRaw = s.IndexOf('`', i + 1);
                    if (endRaw < 0) throw parser.ErrorAt(at, "unterminated raw quoted string");
                    tokens.Add(new('s', s[(i + 1)..endRaw], at));
                    i = endRaw + 1;
                    continue;
                }
                var j = i + 1;
                while (j < s.Length && !char.IsWhiteSpace(s[j]) && s[j] is not ('(' or ')' or '|' or ',' or '"' or '`' or '=') && !(s[j] == ':' && j + 1 < s.Length && s[j + 1] == '=')) j++;
                var word = s[i..j];
                var kind = word[0] switch
                {
                    '.' => 'f',
                    '$' => 'v',
                    '-' or '+' or (>= '0' and <= '9') => 'n',
                    _ when char.IsLetter(word[0]) || word[0] == '_' => 'i',
                    _ => throw parser.ErrorAt(at, $"unexpected \"{word[0]}\" in command"),
                };
                tokens.Add(new(kind, word, at));
                i = j;
            }
            return tokens;
        }
    }

    private sealed class PipelineParser(List<Token> tokens, int start, Parser parser)
    {
        private int _i = start;

        public Pipeline Parse(bool allowDecl)
        {
            var pos = _i < tokens.Count ? tokens[_i].Pos : tokens[^1].Pos;
            var decl = new List<string>();
            if (allowDecl)
            {
                // $x := …  or  $k, $v := …
                var j = _i;
                var names = new List<string>();
                while (j < tokens.Count && tokens[j].Kind == 'v' && !tokens[j].Text.Contains('.'))
                {
                    names.Add(tokens[j].Text);
                    j++;
                    if (j < tokens.Count && tokens[j] is { Kind: 'p', Text: "," }) { j++; continue; }
                    break;
                }
                if (names.Count > 0 && j < tokens.Count && tokens[j] is { Kind: 'p', Text: ":=" or "=" })
                {
                    decl = names;
                    _i = j + 1;
                }
            }
            var commands = new List<Command>();
            while (true)
            {
                var args = new List<Operand>();
                var cmdPos = _i < tokens.Count ? tokens[_i].Pos : pos;
                while (_i < tokens.Count && !(tokens[_i] is { Kind: 'p', Text: "|" or ")" }))
                    args.Add(Operand());
                if (args.Count == 0) throw parser.ErrorAt(cmdPos, "missing value for command");
                commands.Add(new Command(cmdPos, args));
                if (_i < tokens.Count && tokens[_i] is { Kind: 'p', Text: "|" }) { _i++; continue; }
                break;
            }
            return new Pipeline(pos, decl, commands);
        }

        public bool AtClose => _i < tokens.Count && tokens[_i] is { Kind: 'p', Text: ")" };

        private Operand Operand()
        {
            var t = tokens[_i++];
            switch (t.Kind)
            {
                case 'f':
                    return new FieldOp(t.Pos, t.Text == "." ? [] : t.Text[1..].Split('.'));
                case 'v':
                {
                    var dot = t.Text.IndexOf('.');
                    return dot < 0 ? new VariableOp(t.Pos, t.Text, []) : new VariableOp(t.Pos, t.Text[..dot], t.Text[(dot + 1)..].Split('.'));
                }
                case 's':
                    return new LiteralOp(t.Pos, t.Text);
                case 'n':
                    if (long.TryParse(t.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return new LiteralOp(t.Pos, l);
                    if (double.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return new LiteralOp(t.Pos, d);
                    throw parser.ErrorAt(t.Pos, $"bad number syntax: \"{t.Text}\"");
                case 'i':
                    return t.Text switch
                    {
                        "true" => new LiteralOp(t.Pos, true),
                        "false" => new LiteralOp(t.Pos, false),
                        "nil" => new LiteralOp(t.Pos, null),
                        _ when Functions.Contains(t.Text) => new IdentOp(t.Pos, t.Text),
                        _ => throw parser.ErrorAt(t.Pos, $"function \"{t.Text}\" not defined"),
                    };
                case 'p' when t.Text == "(":
                {
                    var inner = new PipelineParser(tokens, _i, parser);
                    var pipe = inner.Parse(allowDecl: false);
                    if (!inner.AtClose) throw parser.ErrorAt(t.Pos, "unclosed left paren");
                    _i = inner._i + 1;
                    // (pipeline).Field.Chain
                    string[] chain = [];
                    if (_i < tokens.Count && tokens[_i].Kind == 'f' && tokens[_i].Pos == tokens[_i - 1].Pos + 1)
                        chain = tokens[_i++].Text[1..].Split('.');
                    return new PipeOp(t.Pos, pipe, chain);
                }
                default:
                    throw parser.ErrorAt(t.Pos, $"unexpected \"{t.Text}\" in operand");
            }
        }
    }

    // ---- execution ----

    private sealed class State(GoTemplate template, MethodResolver? methods, StringBuilder output)
    {
        public List<(string Name, object? Value)> Vars { get; } = [];

        /// <summary>An execution error at the node that starts at <paramref name="pos"/>; Go's column is that of the
        /// part that failed (<paramref name="column"/>, a field in a chain), else the node's.</summary>
        private TemplateException Error(int pos, string what, int? column = null)
        {
            var at = column ?? pos;
            var line = 1 + template._text.AsSpan(0, at).Count('\n');
            var lineStart = template._text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
            if (at == 0) lineStart = 0;
            var end = template._text.IndexOfAny(['}', ' ', '|', ')'], pos);
            var near = end < 0 ? template._text[pos..] : template._text[pos..end];
            return new TemplateException($"template: :{line}:{at - lineStart}: executing \"\" at <{near}>: {what}", isParse: false);
        }

        public void Walk(List<Node> nodes, object? dot)
        {
            foreach (var node in nodes) Walk(node, dot);
        }

        private void Walk(Node node, object? dot)
        {
            switch (node)
            {
                case TextNode t:
                    output.Append(t.Text);
                    break;
                case ActionNode a:
                {
                    var value = Eval(a.Pipe, dot);
                    // An assignment prints nothing; its variable lives to the end of the enclosing block.
                    if (a.Pipe.Decl.Count == 0) output.Append(Print(value));
                    break;
                }
                case IfNode i:
                {
                    var mark = Vars.Count;
                    var value = Eval(i.Pipe, dot);
                    if (Truth(value)) Walk(i.Then, dot);
                    else if (i.Else is { } e) Walk(e, dot);
                    Pop(mark);
                    break;
                }
                case WithNode w:
                {
                    var mark = Vars.Count;
                    var value = Eval(w.Pipe, dot);
                    if (Truth(value)) Walk(w.Then, value);
                    else if (w.Else is { } e) Walk(e, dot);
                    Pop(mark);
                    break;
                }
                case RangeNode r:
                {
                    var mark = Vars.Count;
                    var decl = r.Pipe.Decl;
                    var value = Eval(r.Pipe with { Decl = [] }, dot);
                    var items = Items(value, r.Pos);
                    if (items.Count == 0)
                    {
                        if (r.Else is { } e) Walk(e, dot);
                    }
                    foreach (var (key, item) in items)
                    {
                        var inner = Vars.Count;
                        if (decl.Count == 1) Vars.Add((decl[0], item));
                        else if (decl.Count == 2)
                        {
                            Vars.Add((decl[0], key));
                            Vars.Add((decl[1], item));
                        }
                        Walk(r.Body, item);
                        Pop(inner);
                    }
                    Pop(mark);
                    break;
                }
            }
        }

        private void Pop(int mark)
        {
            if (Vars.Count > mark) Vars.RemoveRange(mark, Vars.Count - mark);
        }

        private List<(object? Key, object? Item)> Items(object? value, int pos)
        {
            var items = new List<(object?, object?)>();
            switch (value)
            {
                case null:
                    break;
                case JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }:
                    break;
                case JsonElement { ValueKind: JsonValueKind.Array } a:
                    var i = 0L;
                    foreach (var e in a.EnumerateArray()) items.Add((i++, e));
                    break;
                case JsonElement { ValueKind: JsonValueKind.Object } o:
                    foreach (var p in o.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)) items.Add((p.Name, p.Value));
                    break;
                case IReadOnlyList<object?> list:
                    for (var k = 0; k < list.Count; k++) items.Add(((long)k, list[k]));
                    break;
                default:
                    throw Error(pos, $"range can't iterate over {Print(value)}");
            }
            return items;
        }

        private object? Eval(Pipeline pipe, object? dot)
        {
            object? value = null;
            var first = true;
            foreach (var command in pipe.Commands)
            {
                value = EvalCommand(command, dot, first ? Missing.Value : value);
                first = false;
            }
            if (pipe.Decl.Count == 1) Vars.Add((pipe.Decl[0], value));
            return value;
        }

        private sealed class Missing
        {
            public static readonly Missing Value = new();
        }

        private object? EvalCommand(Command command, object? dot, object? piped)
        {
            var head = command.Args[0];
            var hasPiped = piped is not Missing;
            if (head is IdentOp f)
            {
                var args = command.Args.Skip(1).Select(a => EvalOperand(a, dot)).ToList();
                if (hasPiped) args.Add(piped);
                return Call(f.Name, args, f.Pos);
            }
            if (head is FieldOp { Chain.Length: > 0 } method && (command.Args.Count > 1 || hasPiped))
            {
                var receiver = method.Chain.Length == 1 ? dot : Field(dot, method.Chain[..^1], method.Pos);
                var args = command.Args.Skip(1).Select(a => EvalOperand(a, dot)).ToList();
                if (hasPiped) args.Add(piped);
                if (ReferenceEquals(receiver, dot) && methods is not null && methods(method.Chain[^1], args, out var result)) return result;
                throw Error(method.Pos, $"can't give argument to non-function {string.Concat(method.Chain.Select(c => "." + c))}");
            }
            if (command.Args.Count > 1 || hasPiped)
                throw Error(head.Pos, "can't give argument to non-function");
            return EvalOperand(head, dot);
        }

        private object? EvalOperand(Operand op, object? dot) => op switch
        {
            FieldOp f => f.Chain.Length == 0 ? dot : MethodOrField(dot, f),
            VariableOp v => Field(Variable(v), v.Chain, v.Pos),
            LiteralOp l => l.Value,
            PipeOp p => Field(Eval(p.Pipe, dot), p.Chain, p.Pos),
            IdentOp i => Call(i.Name, [], i.Pos),
            _ => null,
        };

        private object? MethodOrField(object? dot, FieldOp f)
        {
            // A method without arguments on the row (docker's list rows are objects with methods).
            if (f.Chain.Length == 1 && dot is JsonElement { ValueKind: JsonValueKind.Object } o && !o.TryGetProperty(f.Chain[0], out _)
                && methods is not null && methods(f.Chain[0], [], out var result))
                return result;
            return Field(dot, f.Chain, f.Pos);
        }

        private object? Variable(VariableOp v)
        {
            for (var i = Vars.Count - 1; i >= 0; i--)
                if (Vars[i].Name == v.Name) return Vars[i].Value;
            throw Error(v.Pos, $"undefined variable: {v.Name}");
        }

        private object? Field(object? value, string[] chain, int pos)
        {
            string? via = null;
            var next = pos;
            foreach (var name in chain)
            {
                var parent = via;
                via = name;
                // Go's column is the chain's field that failed: ".Config.Nope" fails at ".Nope".
                var at = next;
                next += 1 + name.Length;
                value = value switch
                {
                    // A key missing from one of docker's Go maps (labels, attributes, options …) is Go's invalid
                    // value: "<no value>", and false; one missing from a struct is the raw fallback's error.
                    JsonElement { ValueKind: JsonValueKind.Object } o => o.TryGetProperty(name, out var p) ? p
                        : parent is not null && GoMaps.Contains(parent) ? null
                        : throw Error(pos, $"map has no entry for key \"{name}\"", at),
                    JsonElement { ValueKind: JsonValueKind.Null } or null => throw Error(pos, $"nil pointer evaluating interface {{}}.{name}"),
                    _ => throw Error(pos, $"can't evaluate field {name} in type {TypeName(value)}"),
                };
            }
            return value;
        }

        private static string TypeName(object? v) => v switch
        {
            JsonElement { ValueKind: JsonValueKind.String } or string => "string",
            JsonElement { ValueKind: JsonValueKind.Number } or long or double => "float64",
            JsonElement { ValueKind: JsonValueKind.True or JsonValueKind.False } or bool => "bool",
            JsonElement { ValueKind: JsonValueKind.Array } or IReadOnlyList<object?> => "[]interface {}",
            _ => "interface {}",
        };

        private object? Call(string name, List<object?> args, int pos)
        {
            void Arity(int n)
            {
                if (args.Count != n) throw Error(pos, $"wrong number of args for {name}: want {n} got {args.Count}");
            }
            switch (name)
            {
                case "and":
                    if (args.Count == 0) throw Error(pos, "wrong number of args for and: want at least 1 got 0");
                    foreach (var a in args) if (!Truth(a)) return a;
                    return args[^1];
                case "or":
                    if (args.Count == 0) throw Error(pos, "wrong number of args for or: want at least 1 got 0");
                    foreach (var a in args) if (Truth(a)) return a;
                    return args[^1];
                case "not":
                    Arity(1);
                    return !Truth(args[0]);
                case "len":
                    Arity(1);
                    return args[0] switch
                    {
                        JsonElement { ValueKind: JsonValueKind.Array } a => (long)a.GetArrayLength(),
                        JsonElement { ValueKind: JsonValueKind.Object } o => (long)o.EnumerateObject().Count(),
                        JsonElement { ValueKind: JsonValueKind.String } s => (long)Encoding.UTF8.GetByteCount(s.GetString()!),
                        string s => (long)Encoding.UTF8.GetByteCount(s),
                        IReadOnlyList<object?> l => (long)l.Count,
                        var other => throw Error(pos, $"error calling len: len of type {TypeName(other)}"),
                    };
                case "index":
                {
                    if (args.Count == 0) throw Error(pos, "wrong number of args for index: want at least 1 got 0");
                    var v = args[0];
                    foreach (var key in args.Skip(1))
                    {
                        v = v switch
                        {
                            JsonElement { ValueKind: JsonValueKind.Object } o => o.TryGetProperty(Print(key), out var p) ? p : null,
                            JsonElement { ValueKind: JsonValueKind.Array } a => ToLong(key, pos) is var i && i >= 0 && i < a.GetArrayLength() ? a[(int)i] : throw Error(pos, $"error calling index: index out of range: {i}"),
                            IReadOnlyList<object?> l => ToLong(key, pos) is var i && i >= 0 && i < l.Count ? l[(int)i] : throw Error(pos, $"error calling index: index out of range: {i}"),
                            JsonElement { ValueKind: JsonValueKind.Null } or null => throw Error(pos, "error calling index: index of untyped nil"),
                            var other => throw Error(pos, $"error calling index: can't index item of type {TypeName(other)}"),
                        };
                    }
                    return v;
                }
                case "slice":
                {
                    if (args.Count is < 1 or > 3) throw Error(pos, $"wrong number of args for slice: want 1 to 3 got {args.Count}");
                    var s = args[0] is JsonElement { ValueKind: JsonValueKind.String } js ? js.GetString()! : args[0] as string;
                    if (s is null) throw Error(pos, "error calling slice: can't slice item of type " + TypeName(args[0]));
                    var from = args.Count > 1 ? (int)ToLong(args[1], pos) : 0;
                    var to = args.Count > 2 ? (int)ToLong(args[2], pos) : s.Length;
                    if (from < 0 || to > s.Length || from > to) throw Error(pos, $"error calling slice: index out of range: {to}");
                    return s[from..to];
                }
                case "print":
                    return Sprint(args);
                case "println":
                    return string.Join(" ", args.Select(Print)) + "\n";
                case "printf":
                    if (args.Count == 0) throw Error(pos, "wrong number of args for printf: want at least 1 got 0");
                    return Printf(Print(args[0]), args.Skip(1).ToList());
                case "eq":
                    if (args.Count < 2) throw Error(pos, "missing argument for comparison");
                    return args.Skip(1).Any(a => Compare(args[0], a, pos) == 0);
                case "ne":
                    Arity(2);
                    return Compare(args[0], args[1], pos) != 0;
                case "lt":
                    Arity(2);
                    return Compare(args[0], args[1], pos) < 0;
                case "le":
                    Arity(2);
                    return Compare(args[0], args[1], pos) <= 0;
                case "gt":
                    Arity(2);
                    return Compare(args[0], args[1], pos) > 0;
                case "ge":
                    Arity(2);
                    return Compare(args[0], args[1], pos) >= 0;
                case "json":
                    Arity(1);
                    return Json(args[0]);
                case "join":
                    Arity(2);
                    return string.Join(Print(args[1]), Items(args[0], pos).Select(i => Print(i.Item)));
                case "split":
                    Arity(2);
                    return Print(args[0]).Split(Print(args[1])).Cast<object?>().ToList();
                case "upper":
                    Arity(1);
                    return Print(args[0]).ToUpperInvariant();
                case "lower":
                    Arity(1);
                    return Print(args[0]).ToLowerInvariant();
                case "title":
                {
                    Arity(1);
                    var chars = Print(args[0]).ToCharArray();
                    for (var i = 0; i < chars.Length; i++)
                        if (char.IsLetter(chars[i]) && (i == 0 || !char.IsLetterOrDigit(chars[i - 1]))) chars[i] = char.ToUpperInvariant(chars[i]);
                    return new string(chars);
                }
                case "pad":
                    Arity(3);
                    return new string(' ', (int)ToLong(args[1], pos)) + Print(args[0]) + new string(' ', (int)ToLong(args[2], pos));
                case "truncate":
                {
                    Arity(2);
                    var s = Print(args[0]);
                    var n = (int)ToLong(args[1], pos);
                    return s.Length > n ? s[..n] : s;
                }
                default:
                    throw Error(pos, $"function \"{name}\" not defined");
            }
        }

        private long ToLong(object? v, int pos) => v switch
        {
            long l => l,
            double d => (long)d,
            JsonElement { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var l) => l,
            _ => throw Error(pos, $"cannot index slice/array with type {TypeName(v)}"),
        };

        private int Compare(object? a, object? b, int pos)
        {
            var x = Basic(a);
            var y = Basic(b);
            return (x, y) switch
            {
                (double p, double q) => p.CompareTo(q),
                (string p, string q) => string.CompareOrdinal(p, q),
                (bool p, bool q) => p == q ? 0 : 1,
                (null, null) => 0,
                _ => throw Error(pos, "error calling eq: incompatible types for comparison"),
            };
        }

    }

    /// <summary>A JSON scalar as a .NET one (numbers as double), for comparisons and numeric verbs.</summary>
    private static object? Basic(object? v) => v switch
    {
        JsonElement { ValueKind: JsonValueKind.String } s => s.GetString(),
        JsonElement { ValueKind: JsonValueKind.Number } n => n.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        JsonElement { ValueKind: JsonValueKind.Null } => null,
        long l => (double)l,
        _ => v,
    };

    /// <summary>The fields of docker's API types that are Go maps keyed by arbitrary strings (not structs): through
    /// the typed values docker's CLI formats first, a key missing from one is no error.</summary>
    private static readonly HashSet<string> GoMaps = new(StringComparer.Ordinal)
    {
        "Labels", "Attributes", "Options", "DriverOpts", "ExposedPorts", "Volumes", "Ports", "Networks", "Sysctls",
        "StorageOpt", "Tmpfs", "Annotations", "Data", "Status", "Containers",
    };

    /// <summary>Go's truth: false, 0, "", nil and empty collections are false.</summary>
    private static bool Truth(object? v) => v switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        IReadOnlyList<object?> l => l.Count > 0,
        JsonElement e => e.ValueKind switch
        {
            JsonValueKind.False or JsonValueKind.Null or JsonValueKind.Undefined => false,
            JsonValueKind.String => e.GetString()!.Length > 0,
            JsonValueKind.Number => e.GetDouble() != 0,
            JsonValueKind.Array => e.GetArrayLength() > 0,
            JsonValueKind.Object => e.EnumerateObject().Any(),
            _ => true,
        },
        _ => true,
    };

    /// <summary>Go's <c>%v</c>.</summary>
    private static string Print(object? v) => v switch
    {
        null => "<no value>",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        IReadOnlyList<object?> list => "[" + string.Join(" ", list.Select(Print)) + "]",
        JsonElement e => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString()!,
            JsonValueKind.Number => e.TryGetInt64(out var l) ? l.ToString(CultureInfo.InvariantCulture) : FormatFloat(e.GetDouble()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Array => "[" + string.Join(" ", e.EnumerateArray().Select(x => Print(x))) + "]",
            JsonValueKind.Object => "map[" + string.Join(" ", e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + ":" + Print(p.Value))) + "]",
            _ => "<nil>",
        },
        _ => v.ToString() ?? "",
    };

    private static string FormatFloat(double d)
    {
        // Go's %v of a float64: the shortest representation, exponent form for large and small magnitudes.
        var abs = Math.Abs(d);
        if (d == Math.Floor(d) && abs < 1e21) return d.ToString("0", CultureInfo.InvariantCulture);
        if (abs != 0 && (abs < 1e-4 || abs >= 1e21))
        {
            var s = d.ToString("E16", CultureInfo.InvariantCulture);
            var r = double.Parse(s, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant();
            return r.Replace("e+0", "e+").Replace("e-0", "e-");
        }
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>fmt.Sprint: operands separated by a space when neither side is a string.</summary>
    private static string Sprint(List<object?> args)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < args.Count; i++)
        {
            if (i > 0 && !IsString(args[i]) && !IsString(args[i - 1])) sb.Append(' ');
            sb.Append(Print(args[i]));
        }
        return sb.ToString();

        static bool IsString(object? v) => v is string || v is JsonElement { ValueKind: JsonValueKind.String };
    }

    /// <summary>fmt.Sprintf for the verbs scripts use: %v %s %d %q %t %f %x %%, with width and the '-' and '0' flags.</summary>
    private static string Printf(string format, List<object?> args)
    {
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }
            var j = i + 1;
            var left = false;
            var zero = false;
            while (j < format.Length && format[j] is '-' or '0' or '+' or ' ' or '#')
            {
                if (format[j] == '-') left = true;
                if (format[j] == '0') zero = true;
                j++;
            }
            var width = 0;
            while (j < format.Length && char.IsAsciiDigit(format[j])) width = width * 10 + (format[j++] - '0');
            int? precision = null;
            if (j < format.Length && format[j] == '.')
            {
                j++;
                var p = 0;
                while (j < format.Length && char.IsAsciiDigit(format[j])) p = p * 10 + (format[j++] - '0');
                precision = p;
            }
            if (j >= format.Length) break;
            var verb = format[j];
            i = j;
            if (verb == '%')
            {
                sb.Append('%');
                continue;
            }
            if (next >= args.Count)
            {
                sb.Append("%!").Append(verb).Append("(MISSING)");
                continue;
            }
            var arg = args[next++];
            var text = verb switch
            {
                'd' => Basic(arg) is double d ? ((long)d).ToString(CultureInfo.InvariantCulture) : Print(arg),
                'q' => JsonSerializer.Serialize(Print(arg), CliJsonContext.Default.String),
                'f' => Basic(arg) is double f ? f.ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture) : Print(arg),
                'x' => Basic(arg) is double x ? ((long)x).ToString("x", CultureInfo.InvariantCulture) : Convert.ToHexString(Encoding.UTF8.GetBytes(Print(arg))).ToLowerInvariant(),
                's' when precision is { } p => Print(arg) is var s && s.Length > p ? s[..p] : Print(arg),
                _ => Print(arg),
            };
            if (text.Length < width) text = left ? text.PadRight(width) : text.PadLeft(width, zero && verb is 'd' or 'f' or 'x' ? '0' : ' ');
            sb.Append(text);
        }
        return sb.ToString();
    }

    /// <summary>Go's encoding/json escapes only what JSON needs (and &lt;, &gt;, &amp;): quotes as \", no \u0022.</summary>
    internal static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>docker's <c>json</c> function: the value as compact JSON.</summary>
    private static string Json(object? v)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            Write(writer, v);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());

        static void Write(Utf8JsonWriter w, object? v)
        {
            switch (v)
            {
                case null: w.WriteNullValue(); break;
                case string s: w.WriteStringValue(s); break;
                case bool b: w.WriteBooleanValue(b); break;
                case long l: w.WriteNumberValue(l); break;
                case double d: w.WriteNumberValue(d); break;
                case JsonElement e: e.WriteTo(w); break;
                case IReadOnlyList<object?> list:
                    w.WriteStartArray();
                    foreach (var item in list) Write(w, item);
                    w.WriteEndArray();
                    break;
                default: w.WriteStringValue(v.ToString()); break;
            }
        }
    }
}
