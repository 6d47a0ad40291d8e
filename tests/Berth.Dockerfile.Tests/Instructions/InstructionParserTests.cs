using Berth.Dockerfile.Instructions;
using Berth.Dockerfile.Shell;
using static Berth.Dockerfile.Tests.Instructions.InstructionTestHelpers;

namespace Berth.Dockerfile.Tests.Instructions;

public sealed class InstructionParserTests
{
    [Fact]
    public void FromParsesPlatformAndLowercasesTheStageName()
    {
        // Stage names are matched case-insensitively by COPY --from and --target.
        var from = Single<FromInstruction>("FROM --platform=linux/amd64 alpine:3.20 AS Builder");
        Assert.Equal("alpine:3.20", from.BaseName);
        Assert.Equal("builder", from.StageName);
        Assert.Equal("linux/amd64", from.Platform);
        Assert.Equal(2, from.Location.StartLine);
    }

    [Theory]
    [InlineData("FROM a b", "FROM requires either one or three arguments")]
    [InlineData("FROM a AS 1x", "invalid name for build stage: \"1x\", name can't start with a number or contain symbols")]
    [InlineData("FROM --plat=x a", "unknown flag: plat (expected one of --platform)")]
    public void FromRejectsMalformedLines(string line, string reason)
    {
        // A wrong FROM would build the wrong base silently.
        var e = Fails("FROM base\n" + line + "\n");
        Assert.Equal(reason, e.Reason);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void RunShellFormKeepsTheCommandTextForTheShell()
    {
        // Shell-form commands are run by SHELL, unexpanded by the builder.
        var run = Single<RunInstruction>("RUN echo $HOME && ls");
        Assert.Equal(new CommandLine(["echo $HOME && ls"], PrependShell: true), run.Command);
        Assert.Equal(RunNetwork.Default, run.Network);
        Assert.Empty(run.Mounts);
    }

    [Fact]
    public void RunExecFormIsAnArgumentVector()
    {
        // Exec form must not go through a shell.
        var run = Single<RunInstruction>("RUN [\"/bin/echo\", \"a b\"]");
        Assert.Equal(new CommandLine(["/bin/echo", "a b"], PrependShell: false), run.Command);
    }

    [Fact]
    public void RunHeredocBecomesAFile()
    {
        // RUN <<EOF scripts are run from their body.
        var stages = DockerfileStages.Parse("FROM a\nRUN <<EOF\nset -e\necho hi\nEOF\n");
        var run = Assert.IsType<RunInstruction>(stages.Stages[0].Instructions[0]);
        Assert.Equal("<<EOF", run.Command.Args[0]);
        Assert.Equal("set -e\necho hi\n", Assert.Single(run.Heredocs).Content);
    }

    [Fact]
    public void RunMountsParseIntoTypedRecords()
    {
        // Each mount type has its own options and defaults; the builder acts on records, not strings.
        var run = Single<RunInstruction>(
            "RUN --mount=type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0755,uid=1000,gid=1000 " +
            "--mount=type=bind,source=src,target=/src,from=build,rw " +
            "--mount=type=tmpfs,target=/tmp,size=64m " +
            "--mount=type=secret,id=npmrc,target=/root/.npmrc,required " +
            "--mount=type=secret,id=tok,env=TOKEN " +
            "--mount=type=ssh " +
            "--mount=target=/ctx " +
            "--network=none --security=insecure make");
        Assert.Equal(7, run.Mounts.Count);
        Assert.Equal(new CacheMount { Target = "/root/.cache", Id = "pip", Sharing = CacheSharing.Locked, Mode = Convert.ToUInt32("755", 8), Uid = 1000, Gid = 1000 }, run.Mounts[0]);
        Assert.Equal(new BindMount { Target = "/src", Source = "src", From = "build", ReadOnly = false }, run.Mounts[1]);
        Assert.Equal(new TmpfsMount { Target = "/tmp", SizeBytes = 64L << 20 }, run.Mounts[2]);
        Assert.Equal(new SecretMount { Id = "npmrc", Target = "/root/.npmrc", Required = true }, run.Mounts[3]);
        Assert.Equal(new SecretMount { Id = "tok", Env = "TOKEN", Target = null }, run.Mounts[4]);
        Assert.Equal(new SshMount(), run.Mounts[5]);
        Assert.Equal(new BindMount { Target = "/ctx", ReadOnly = true }, run.Mounts[6]);
        Assert.Equal(RunNetwork.None, run.Network);
        Assert.Equal("insecure", run.Security);
    }

    [Fact]
    public void SecretMountDefaultsItsTargetFromTheId()
    {
        // Docker's documented default: /run/secrets/<id>.
        var run = Single<RunInstruction>("RUN --mount=type=secret,id=aws cat /run/secrets/aws");
        Assert.Equal(new SecretMount { Id = "aws", Target = "/run/secrets/aws" }, Assert.Single(run.Mounts));
    }

    [Theory]
    [InlineData("RUN --mount=type=nfs,target=/x true", "unsupported mount type \"nfs\"")]
    [InlineData("RUN --mount=type=bind,target=/x,mode=0644 true", "mode not allowed for \"bind\" type mounts")]
    [InlineData("RUN --mount=type=cache true", "mount type cache requires a target")]
    [InlineData("RUN --mount=type=cache,target=/x,sharing=all true", "unsupported sharing value \"all\"")]
    [InlineData("RUN --mount=type=bind,target=/x,sharing=locked true", "invalid cache sharing set for bind mount")]
    [InlineData("RUN --mount=type=bind,target=/x,colour=red true", "unexpected key 'colour'")]
    [InlineData("RUN --mount=type=bind,target=/x,from=$STAGE true", "'from' doesn't support variable expansion")]
    [InlineData("RUN --mount=type=tmpfs,target=/x,size=lots true", "invalid value for size: lots")]
    [InlineData("RUN --network=bridge true", "unsupported network mode \"bridge\"")]
    [InlineData("RUN --mount true", "missing a value on flag: mount")]
    [InlineData("RUN --frobnicate true", "unknown flag: frobnicate")]
    [InlineData("RUN --network=host --network=none true", "duplicate flag specified: network")]
    public void RunFlagErrorsNameTheProblem(string line, string reasonStart)
    {
        // Bad flags must fail the build at parse time with the line, not at run time.
        var e = Fails("FROM base\n" + line + "\n");
        Assert.StartsWith("RUN", line);
        Assert.Contains(reasonStart, e.Reason);
        Assert.Equal(2, e.Line);
        Assert.Equal(line, e.LineText);
    }

    [Fact]
    public void RunMountsWithVariablesResolveOnExpand()
    {
        // uid=$UID cannot be checked before the ARG values are known.
        var run = Single<RunInstruction>("RUN --mount=type=cache,target=$DIR,uid=$UID true");
        var cache = Assert.IsType<CacheMount>(Assert.Single(run.Mounts));
        Assert.Null(cache.Uid);
        var scope = new VariableScope(new Dictionary<string, string> { ["DIR"] = "/cache", ["UID"] = "42" });
        var expanded = (RunInstruction)run.Expand(new Expander(scope));
        Assert.Equal(new CacheMount { Target = "/cache", Uid = 42 }, Assert.Single(expanded.Mounts));
    }

    [Fact]
    public void CmdAndEntrypointKeepTheirForm()
    {
        // The image config stores exec form as is and wraps shell form at build time.
        Assert.Equal(new CommandLine(["a", "b"], false), Single<CmdInstruction>("CMD [\"a\", \"b\"]").Command);
        Assert.Equal(new CommandLine(["run.sh --x"], true), Single<EntrypointInstruction>("ENTRYPOINT run.sh --x").Command);
        Assert.Equal(new CommandLine([], false), Single<EntrypointInstruction>("ENTRYPOINT []").Command);
    }

    [Fact]
    public void EnvSupportsBothForms()
    {
        // Old "ENV a b c" keeps everything after the name as the value.
        var env = Single<EnvInstruction>("ENV a=1 b=\"x y\"");
        Assert.Equal([new KeyValue("a", "1"), new KeyValue("b", "\"x y\"")], env.Variables);
        var legacy = Single<EnvInstruction>("ENV PATH /a /b");
        Assert.Equal([new KeyValue("PATH", "/a /b", NoDelimiter: true)], legacy.Variables);
    }

    [Fact]
    public void ArgParsesSeveralNamesWithOptionalDefaults()
    {
        // ARG with and without defaults decide whether --build-arg is required.
        var arg = Single<ArgInstruction>("ARG A B=2 C=\"x y\"");
        Assert.Equal([new ArgDefinition("A", null), new ArgDefinition("B", "2"), new ArgDefinition("C", "\"x y\"")], arg.Args);
        Assert.Equal("ARG names can not be blank", Fails("FROM a\nARG =x\n").Reason);
    }

    [Fact]
    public void LabelExposeUserWorkdirVolumeStopsignalMaintainer()
    {
        // The metadata instructions are straight data.
        Assert.Equal([new KeyValue("a", "b"), new KeyValue("\"c d\"", "e")], Single<LabelInstruction>("LABEL a=b \"c d\"=e").Labels);
        Assert.Equal(["80", "443/tcp"], Single<ExposeInstruction>("EXPOSE 80 443/tcp").Ports);
        Assert.Equal("app:app", Single<UserInstruction>("USER app:app").User);
        Assert.Equal("/srv/app", Single<WorkdirInstruction>("WORKDIR /srv/app").Path);
        Assert.Equal(["/a", "/b"], Single<VolumeInstruction>("VOLUME /a /b").Volumes);
        Assert.Equal(["/c"], Single<VolumeInstruction>("VOLUME [\"/c\"]").Volumes);
        Assert.Equal("SIGINT", Single<StopSignalInstruction>("STOPSIGNAL SIGINT").Signal);
        Assert.Equal("Jane <j@example.com>", Single<MaintainerInstruction>("MAINTAINER Jane <j@example.com>").Maintainer);
    }

    [Theory]
    [InlineData("USER", "USER requires exactly one argument")]
    [InlineData("WORKDIR", "WORKDIR requires exactly one argument")]
    [InlineData("STOPSIGNAL", "STOPSIGNAL requires exactly one argument")]
    [InlineData("EXPOSE", "EXPOSE requires at least one argument")]
    [InlineData("LABEL", "LABEL requires at least one argument")]
    [InlineData("VOLUME", "VOLUME requires at least one argument")]
    [InlineData("SHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form")]
    [InlineData("COPY onlyone", "COPY requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("ADD x", "ADD requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("COPY --chown a b", "missing a value on flag: chown")]
    [InlineData("COPY --link=maybe a b", "expecting boolean value for flag link, not: maybe")]
    [InlineData("COPY --keep-git-dir a b", "unknown flag: keep-git-dir")]
    [InlineData("CMD --x [\"a\"]", "unknown flag: x")]
    [InlineData("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")]
    [InlineData("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments")]
    [InlineData("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD")]
    [InlineData("HEALTHCHECK TEST x", "Unknown type \"TEST\" in HEALTHCHECK (try CMD)")]
    [InlineData("HEALTHCHECK --interval=1us CMD x", "Interval \"interval\" cannot be less than 1ms")]
    [InlineData("HEALTHCHECK --timeout=5 CMD x", "time: missing unit in duration \"5\"")]
    [InlineData("HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative (-1)")]
    [InlineData("FORM x", "unknown instruction: FORM (did you mean from?)")]
    [InlineData("XYZZY x", "unknown instruction: XYZZY")]
    public void InvalidInstructionsFailWithTheirReason(string line, string reason)
    {
        // Users fix Dockerfiles from these messages; they follow BuildKit's wording.
        var e = Fails("FROM base\n" + line + "\n", "app/Dockerfile");
        Assert.StartsWith(reason, e.Reason);
        Assert.Equal(2, e.Line);
        Assert.Equal(1, e.Column);
        Assert.StartsWith("app/Dockerfile:2:1: " + reason, e.Message);
        Assert.Contains("   2 | " + line, e.Message);
    }

    [Fact]
    public void HeredocCannotBeTheDestination()
    {
        // The destination must be a path in the image.
        var e = Fails("FROM base\nCOPY a <<EOF\nx\nEOF\n");
        Assert.Equal("COPY cannot accept a heredoc as a destination", e.Reason);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void ErrorColumnPointsAtTheIndentedInstruction()
    {
        // An indented instruction's column is its first character.
        var e = Fails("FROM base\n    FORM x\n");
        Assert.Equal(5, e.Column);
    }

    [Fact]
    public void InstructionsAreCaseInsensitive()
    {
        // "run" and "RUN" are the same instruction.
        var stages = DockerfileStages.Parse("from a as B\nrun echo\nCoPy x y\n");
        Assert.Equal("b", stages.Stages[0].Name);
        Assert.IsType<RunInstruction>(stages.Stages[0].Instructions[0]);
        Assert.IsType<CopyInstruction>(stages.Stages[0].Instructions[1]);
    }

    [Fact]
    public void HealthcheckParsesEveryOption()
    {
        // The config records durations as docker does; shell form becomes CMD-SHELL.
        var hc = Single<HealthcheckInstruction>(
            "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=1.5s --start-interval=500ms --retries=3 CMD curl -f http://localhost/");
        Assert.Equal(["CMD-SHELL", "curl -f http://localhost/"], hc.Health.Test);
        Assert.Equal(TimeSpan.FromSeconds(30), hc.Health.Interval);
        Assert.Equal(TimeSpan.FromSeconds(90), hc.Health.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), hc.Health.StartPeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(500), hc.Health.StartInterval);
        Assert.Equal(3, hc.Health.Retries);
        Assert.Equal(["CMD", "true"], Single<HealthcheckInstruction>("HEALTHCHECK CMD [\"true\"]").Health.Test);
        Assert.Equal(["NONE"], Single<HealthcheckInstruction>("HEALTHCHECK NONE").Health.Test);
    }

    [Fact]
    public void ShellRequiresJson()
    {
        // SHELL replaces the prefix for later shell-form commands.
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c"], Single<ShellInstruction>("SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]").Shell);
    }

    [Fact]
    public void OnbuildParsesItsTrigger()
    {
        // The trigger is validated now and stored as text in the image config.
        var ob = Single<OnbuildInstruction>("ONBUILD COPY --chown=1:1 . /app");
        Assert.Equal("COPY --chown=1:1 . /app", ob.Expression);
        var copy = Assert.IsType<CopyInstruction>(ob.Trigger);
        Assert.Equal("1:1", copy.Chown);
        Assert.Equal(["."], copy.Sources);
        Assert.Contains("unknown flag: nope", Fails("FROM a\nONBUILD RUN --nope x\n").Reason);
    }

    [Fact]
    public void CopyParsesEveryFlagAndSeveralSources()
    {
        // Each flag changes the produced layer, so each must reach the builder.
        var copy = Single<CopyInstruction>("COPY --from=build --chown=app:app --chmod=0644 --link --parents --exclude=*.md --exclude=tmp a b c/ /dst/");
        Assert.Equal(["a", "b", "c/"], copy.Sources);
        Assert.Equal("/dst/", copy.Destination);
        Assert.Equal("build", copy.From);
        Assert.Equal("app:app", copy.Chown);
        Assert.Equal("0644", copy.Chmod);
        Assert.True(copy.Link);
        Assert.True(copy.Parents);
        Assert.Equal(["*.md", "tmp"], copy.Excludes);
        var json = Single<CopyInstruction>("COPY [\"a b\", \"/d\"]");
        Assert.Equal(["a b"], json.Sources);
    }

    [Fact]
    public void AddParsesItsFlags()
    {
        // ADD has its own flag set (no --from, but --checksum and --keep-git-dir).
        var add = Single<AddInstruction>("ADD --checksum=sha256:abc --keep-git-dir=true --link=false --unpack=false --chmod=755 https://x/y.tgz /opt/");
        Assert.Equal(["https://x/y.tgz"], add.Sources);
        Assert.Equal("sha256:abc", add.Checksum);
        Assert.True(add.KeepGitDir);
        Assert.False(add.Link);
        Assert.False(add.Unpack);
        Assert.Equal("755", add.Chmod);
        Assert.Contains("unknown flag: from", Fails("FROM a\nADD --from=x a b\n").Reason);
    }

    [Fact]
    public void CopyHeredocSourcesCarryTheirBodies()
    {
        // COPY <<EOF writes an inline file; quoting the name turns expansion off.
        var stages = DockerfileStages.Parse("FROM a\nCOPY <<one <<'two' /dst/\nhello $X\none\nraw $X\ntwo\n");
        var copy = Assert.IsType<CopyInstruction>(stages.Stages[0].Instructions[0]);
        Assert.Empty(copy.Sources);
        Assert.Equal([new HeredocSource("one", "hello $X\n", true), new HeredocSource("two", "raw $X\n", false)], copy.HeredocSources);

        var scope = new VariableScope(new Dictionary<string, string> { ["X"] = "\"world\"" });
        var expanded = (CopyInstruction)copy.Expand(new Expander(scope));
        Assert.Equal("hello \"world\"\n", expanded.HeredocSources[0].Data);
        Assert.Equal("raw $X\n", expanded.HeredocSources[1].Data);
    }

    [Fact]
    public void InstructionBeforeFromIsAnError()
    {
        // Only ARG may precede the first FROM.
        var e = Fails("ARG V=1\nRUN x\nFROM a\n");
        Assert.Equal("no build stage in current context", e.Reason);
        Assert.Equal(2, e.Line);
    }
}
