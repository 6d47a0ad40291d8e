using Berth.Dockerfile.Parser;

namespace Berth.Dockerfile.Instructions;

/// <summary>
/// Turns AST nodes into typed <see cref="Instruction"/> records (BuildKit's <c>instructions/parse.go</c>):
/// checks the keyword, the flags each instruction accepts and its argument count. Nothing is expanded here.
/// </summary>
public static class InstructionParser
{
    private static readonly string[] KnownKeywords =
        ["ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
         "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

    /// <summary>Parses every instruction of <paramref name="source"/>, in file order.</summary>
    /// <exception cref="DockerfileParseException">An instruction is unknown or invalid.</exception>
    public static IReadOnlyList<Instruction> ParseAll(ParseResult source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return [.. source.Root.Children.Select(n => Parse(n, source))];
    }

    /// <summary>Parses one instruction node of <paramref name="source"/>.</summary>
    /// <exception cref="DockerfileParseException">The instruction is unknown or invalid.</exception>
    public static Instruction Parse(Node node, ParseResult source)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(source);
        var text = source.LineText(node.StartLine);
        var column = text is null ? 1 : text.Length - text.TrimStart().Length + 1;
        var location = new SourceLocation(source.File, node.StartLine, node.EndLine, column, text);
        try
        {
            return ParseNode(node, node.Heredocs, location);
        }
        catch (InstructionException e)
        {
            throw location.Error(e.Message, e);
        }
    }

    private static Instruction ParseNode(Node node, IReadOnlyList<Heredoc> heredocs, SourceLocation location)
    {
        var req = new Request(node, heredocs, location);
        return node.Value.ToUpperInvariant() switch
        {
            "ADD" => ParseAdd(req),
            "ARG" => ParseArg(req),
            "CMD" => new CmdInstruction { Location = location, Original = node.Original, Command = ParseCommand(req) },
            "COPY" => ParseCopy(req),
            "ENTRYPOINT" => new EntrypointInstruction { Location = location, Original = node.Original, Command = ParseCommand(req) },
            "ENV" => new EnvInstruction { Location = location, Original = node.Original, Variables = ParseKeyValues(req, "ENV") },
            "EXPOSE" => ParseExpose(req),
            "FROM" => ParseFrom(req),
            "HEALTHCHECK" => ParseHealthcheck(req),
            "LABEL" => new LabelInstruction { Location = location, Original = node.Original, Labels = ParseKeyValues(req, "LABEL") },
            "MAINTAINER" => new MaintainerInstruction { Location = location, Original = node.Original, Maintainer = ExactlyOne(req, "MAINTAINER") },
            "ONBUILD" => ParseOnbuild(req),
            "RUN" => ParseRun(req),
            "SHELL" => ParseShell(req),
            "STOPSIGNAL" => new StopSignalInstruction { Location = location, Original = node.Original, Signal = ExactlyOne(req, "STOPSIGNAL") },
            "USER" => new UserInstruction { Location = location, Original = node.Original, User = ExactlyOne(req, "USER") },
            "VOLUME" => ParseVolume(req),
            "WORKDIR" => new WorkdirInstruction { Location = location, Original = node.Original, Path = ExactlyOne(req, "WORKDIR") },
            _ => throw new InstructionException(UnknownInstruction(node.Value)),
        };
    }

    private sealed class Request(Node node, IReadOnlyList<Heredoc> heredocs, SourceLocation location)
    {
        public Node Node { get; } = node;

        public IReadOnlyList<string> Args { get; } = node.Arguments;

        public IReadOnlyList<Heredoc> Heredocs { get; } = heredocs;

        public SourceLocation Location { get; } = location;

        public BuilderFlags Flags { get; } = new(node.Flags);

        public bool IsJson => Node.IsJson;

        public string Original => Node.Original;
    }

    private static string UnknownInstruction(string keyword)
    {
        var upper = keyword.ToUpperInvariant();
        var best = KnownKeywords.Select(k => (k, d: Distance(upper, k))).MinBy(t => t.d);
        return best.d <= 2 && upper.Length > 1
            ? $"unknown instruction: {keyword} (did you mean {best.k.ToLowerInvariant()}?)"
            : $"unknown instruction: {keyword}";
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    private static string ExactlyOne(Request req, string name)
    {
        req.Flags.Parse();
        if (req.Args.Count != 1)
        {
            throw new InstructionException($"{name} requires exactly one argument");
        }
        return req.Args[0];
    }

    // Exec form keeps the array; shell form is one string (the parser gives one node for it).
    private static List<string> JsonArgs(Request req) =>
        req.Args.Count == 0 ? [] : req.IsJson ? [.. req.Args] : [string.Join(' ', req.Args)];

    private static CommandLine ParseCommand(Request req)
    {
        req.Flags.Parse();
        return new CommandLine(JsonArgs(req), PrependShell: !req.IsJson);
    }

    private static FromInstruction ParseFrom(Request req)
    {
        string? stageName = null;
        if (req.Args.Count == 3 && req.Args[1].Equals("as", StringComparison.OrdinalIgnoreCase))
        {
            stageName = req.Args[2].ToLowerInvariant();
            if (!IsValidStageName(stageName))
            {
                throw new InstructionException($"invalid name for build stage: \"{req.Args[2]}\", name can't start with a number or contain symbols");
            }
        }
        else if (req.Args.Count != 1)
        {
            throw new InstructionException("FROM requires either one or three arguments");
        }
        req.Flags.String("platform").Parse();
        return new FromInstruction
        {
            Location = req.Location,
            Original = req.Original,
            BaseName = req.Args[0],
            StageName = stageName,
            Platform = req.Flags.GetString("platform") is { Length: > 0 } p ? p : null,
        };
    }

    // ^[a-z][a-z0-9-_.]*$
    private static bool IsValidStageName(string name) =>
        name.Length > 0 && char.IsAsciiLetterLower(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.');

    private static ArgInstruction ParseArg(Request req)
    {
        if (req.Args.Count < 1)
        {
            throw new InstructionException("ARG requires at least one argument");
        }
        req.Flags.Parse();
        var args = new List<ArgDefinition>();
        foreach (var arg in req.Args)
        {
            var eq = arg.IndexOf('=');
            if (eq < 0)
            {
                args.Add(new ArgDefinition(arg, null));
                continue;
            }
            if (eq == 0)
            {
                throw new InstructionException("ARG names can not be blank");
            }
            args.Add(new ArgDefinition(arg[..eq], arg[(eq + 1)..]));
        }
        return new ArgInstruction { Location = req.Location, Original = req.Original, Args = args };
    }

    private static List<KeyValue> ParseKeyValues(Request req, string name)
    {
        req.Flags.Parse();
        if (req.Args.Count == 0)
        {
            throw new InstructionException($"{name} requires at least one argument");
        }
        if (req.Args.Count % 3 != 0)
        {
            throw new InstructionException($"Bad input to {name}, too many arguments");
        }
        var result = new List<KeyValue>();
        for (var j = 0; j < req.Args.Count; j += 3)
        {
            if (req.Args[j].Length == 0)
            {
                throw new InstructionException($"{name} names can not be blank");
            }
            result.Add(new KeyValue(req.Args[j], req.Args[j + 1], req.Args[j + 2].Length == 0));
        }
        return result;
    }

    private static ExposeInstruction ParseExpose(Request req)
    {
        if (req.Args.Count == 0)
        {
            throw new InstructionException("EXPOSE requires at least one argument");
        }
        req.Flags.Parse();
        return new ExposeInstruction { Location = req.Location, Original = req.Original, Ports = [.. req.Args] };
    }

    private static VolumeInstruction ParseVolume(Request req)
    {
        req.Flags.Parse();
        if (req.Args.Count == 0)
        {
            throw new InstructionException("VOLUME requires at least one argument");
        }
        var volumes = new List<string>();
        foreach (var v in req.Args)
        {
            var t = v.Trim();
            if (t.Length == 0)
            {
                throw new InstructionException("VOLUME specified can not be an empty string");
            }
            volumes.Add(t);
        }
        return new VolumeInstruction { Location = req.Location, Original = req.Original, Volumes = volumes };
    }

    private static ShellInstruction ParseShell(Request req)
    {
        req.Flags.Parse();
        var shell = JsonArgs(req);
        if (shell.Count == 0)
        {
            throw new InstructionException("SHELL requires at least one argument");
        }
        if (!req.IsJson)
        {
            throw new InstructionException("SHELL requires the arguments to be in JSON form");
        }
        return new ShellInstruction { Location = req.Location, Original = req.Original, Shell = shell };
    }

    private static RunInstruction ParseRun(Request req)
    {
        req.Flags.Strings("mount").String("network").String("security").Parse();
        var network = req.Flags.GetString("network") switch
        {
            null or "" or "default" => RunNetwork.Default,
            "none" => RunNetwork.None,
            "host" => RunNetwork.Host,
            var other => throw new InstructionException($"unsupported network mode \"{other}\" (expected default, none or host)"),
        };
        var security = req.Flags.GetString("security");
        if (security is not (null or "insecure" or "sandbox"))
        {
            throw new InstructionException($"unsupported security mode \"{security}\" (expected insecure or sandbox)");
        }
        var specs = req.Flags.GetStrings("mount");
        var mounts = specs.Select(s => RunMountParser.Parse(s, expand: null)).ToList();
        var command = new CommandLine(JsonArgs(req), PrependShell: !req.IsJson);
        if (command.Args.Count == 0 && req.Heredocs.Count == 0)
        {
            throw new InstructionException("RUN requires at least one argument");
        }
        return new RunInstruction
        {
            Location = req.Location,
            Original = req.Original,
            Command = command,
            Heredocs = req.Heredocs,
            MountSpecs = specs,
            Mounts = mounts,
            Network = network,
            Security = security,
        };
    }

    private static HealthcheckInstruction ParseHealthcheck(Request req)
    {
        if (req.Args.Count == 0)
        {
            throw new InstructionException("HEALTHCHECK requires at least one argument");
        }
        var type = req.Args[0].ToUpperInvariant();
        var rest = req.Args.Skip(1).ToList();
        if (type == "NONE")
        {
            if (rest.Count != 0)
            {
                throw new InstructionException("HEALTHCHECK NONE takes no arguments");
            }
            return new HealthcheckInstruction
            {
                Location = req.Location,
                Original = req.Original,
                Health = new HealthConfig { Test = ["NONE"] },
            };
        }
        req.Flags.String("interval").String("timeout").String("start-period").String("start-interval").String("retries").Parse();
        if (type != "CMD")
        {
            throw new InstructionException($"Unknown type \"{type}\" in HEALTHCHECK (try CMD)");
        }
        var cmd = rest.Count == 0 ? [] : req.IsJson ? rest : [string.Join(' ', rest)];
        if (cmd.Count == 0)
        {
            throw new InstructionException("Missing command after HEALTHCHECK CMD");
        }
        List<string> test = [req.IsJson ? "CMD" : "CMD-SHELL", .. cmd];

        var retries = 0;
        if (req.Flags.GetString("retries") is { Length: > 0 } r)
        {
            if (!long.TryParse(r, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
                || n is > int.MaxValue or < int.MinValue)
            {
                throw new InstructionException($"invalid value for --retries: {r}");
            }
            if (n < 0)
            {
                throw new InstructionException($"--retries cannot be negative ({n})");
            }
            retries = (int)n;
        }
        return new HealthcheckInstruction
        {
            Location = req.Location,
            Original = req.Original,
            Health = new HealthConfig
            {
                Test = test,
                Interval = Interval(req, "interval"),
                Timeout = Interval(req, "timeout"),
                StartPeriod = Interval(req, "start-period"),
                StartInterval = Interval(req, "start-interval"),
                Retries = retries,
            },
        };
    }

    private static TimeSpan Interval(Request req, string flag)
    {
        var s = req.Flags.GetString(flag);
        if (string.IsNullOrEmpty(s))
        {
            return TimeSpan.Zero;
        }
        var d = GoDuration.Parse(s);
        if (d == TimeSpan.Zero)
        {
            return d;
        }
        if (d < TimeSpan.FromMilliseconds(1))
        {
            throw new InstructionException($"Interval \"{flag}\" cannot be less than 1ms");
        }
        return d;
    }

    private static OnbuildInstruction ParseOnbuild(Request req)
    {
        if (req.Args.Count == 0)
        {
            throw new InstructionException("ONBUILD requires at least one argument");
        }
        req.Flags.Parse();
        var trigger = req.Args[0].Trim().ToUpperInvariant();
        switch (trigger)
        {
            case "ONBUILD":
                throw new InstructionException("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            case "MAINTAINER" or "FROM":
                throw new InstructionException($"{trigger} isn't allowed as an ONBUILD trigger");
        }
        var child = req.Node.Next!.Children[0];
        var parsedTrigger = ParseNode(child, req.Heredocs, req.Location);

        var expression = StripOnbuildKeyword(req.Original);
        foreach (var h in req.Heredocs)
        {
            expression += "\n" + h.Content + h.Name;
        }
        return new OnbuildInstruction
        {
            Location = req.Location,
            Original = req.Original,
            Expression = expression,
            Trigger = parsedTrigger,
        };
    }

    // (?i)^\s*ONBUILD\s*
    private static string StripOnbuildKeyword(string original)
    {
        var s = original.TrimStart();
        if (s.StartsWith("ONBUILD", StringComparison.OrdinalIgnoreCase))
        {
            s = s[7..].TrimStart();
        }
        return s;
    }

    private static CopyInstruction ParseCopy(Request req)
    {
        if (req.Args.Count < 2)
        {
            throw new InstructionException("COPY requires at least two arguments, but only one was provided. Destination could not be determined");
        }
        req.Flags.Strings("exclude").Bool("parents").String("chown").String("from").String("chmod").Bool("link").Parse();
        var (sources, contents, dest) = SourcesAndDest(req, "COPY");
        return new CopyInstruction
        {
            Location = req.Location,
            Original = req.Original,
            Sources = sources,
            HeredocSources = contents,
            Destination = dest,
            From = NullIfEmpty(req.Flags.GetString("from")),
            Chown = NullIfEmpty(req.Flags.GetString("chown")),
            Chmod = NullIfEmpty(req.Flags.GetString("chmod")),
            Link = req.Flags.GetBool("link"),
            Parents = req.Flags.GetBool("parents"),
            Excludes = req.Flags.GetStrings("exclude"),
        };
    }

    private static AddInstruction ParseAdd(Request req)
    {
        if (req.Args.Count < 2)
        {
            throw new InstructionException("ADD requires at least two arguments, but only one was provided. Destination could not be determined");
        }
        req.Flags.Strings("exclude").String("chown").String("chmod").Bool("link").Bool("keep-git-dir").String("checksum").Bool("unpack").Parse();
        var (sources, contents, dest) = SourcesAndDest(req, "ADD");
        return new AddInstruction
        {
            Location = req.Location,
            Original = req.Original,
            Sources = sources,
            HeredocSources = contents,
            Destination = dest,
            Chown = NullIfEmpty(req.Flags.GetString("chown")),
            Chmod = NullIfEmpty(req.Flags.GetString("chmod")),
            Link = req.Flags.GetBool("link"),
            KeepGitDir = req.Flags.GetBool("keep-git-dir"),
            Checksum = NullIfEmpty(req.Flags.GetString("checksum")),
            Unpack = req.Flags.GetOptionalBool("unpack"),
            Excludes = req.Flags.GetStrings("exclude"),
        };
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static (List<string>, List<HeredocSource>, string) SourcesAndDest(Request req, string command)
    {
        var dest = req.Args[^1];
        if (HeredocParser.IsHeredoc(dest))
        {
            throw new InstructionException($"{command} cannot accept a heredoc as a destination");
        }
        var byName = new Dictionary<string, Heredoc>(StringComparer.Ordinal);
        foreach (var h in req.Heredocs)
        {
            byName[h.Name] = h;
        }
        var paths = new List<string>();
        var contents = new List<HeredocSource>();
        foreach (var src in req.Args.Take(req.Args.Count - 1))
        {
            if (HeredocParser.TryParse(src) is { } start)
            {
                var body = byName.TryGetValue(start.Name, out var h) ? h.Content : "";
                if (start.Chomp)
                {
                    body = HeredocParser.ChompContent(body);
                }
                contents.Add(new HeredocSource(start.Name, body, start.Expand));
            }
            else
            {
                paths.Add(src);
            }
        }
        return (paths, contents, dest);
    }
}
