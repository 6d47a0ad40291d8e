using Berth.Dockerfile.Instructions;
using Berth.Dockerfile.Shell;
using static Berth.Dockerfile.Tests.Instructions.InstructionTestHelpers;

namespace Berth.Dockerfile.Tests.Instructions;

public sealed class ExpansionTests
{
    private static readonly VariableScope Scope = new(new Dictionary<string, string>
    {
        ["NAME"] = "web",
        ["VERSION"] = "1.2",
        ["PORTS"] = "80 443",
        ["HOME"] = "/home/app",
    });

    [Fact]
    public void EnvValuesLoseQuotesAndExpand()
    {
        // ENV values are shell words: quotes are syntax, not content.
        var env = Single<EnvInstruction>("ENV A=\"$NAME v$VERSION\" B=${MISSING:-dflt} C='$HOME'");
        var expander = new Expander(Scope);
        var expanded = (EnvInstruction)env.Expand(expander);
        Assert.Equal([new KeyValue("A", "web v1.2"), new KeyValue("B", "dflt"), new KeyValue("C", "$HOME")], expanded.Variables);
        Assert.Equal(["NAME", "VERSION"], expander.Used.Order(StringComparer.Ordinal));
        Assert.Equal(["MISSING"], expander.Unset);
    }

    [Fact]
    public void CopyPathsAndFlagsExpand()
    {
        // COPY --chown=$USER and versioned paths are everyday Dockerfile idioms.
        var copy = Single<CopyInstruction>("COPY --chown=$NAME --from=stage-$VERSION app-$VERSION.jar $HOME/");
        var expanded = (CopyInstruction)copy.Expand(new Expander(Scope));
        Assert.Equal(["app-1.2.jar"], expanded.Sources);
        Assert.Equal("/home/app/", expanded.Destination);
        Assert.Equal("web", expanded.Chown);
        Assert.Equal("stage-1.2", expanded.From);
    }

    [Fact]
    public void ExposeSplitsExpandedWords()
    {
        // EXPOSE $PORTS with several ports must give several ports.
        var expose = (ExposeInstruction)Single<ExposeInstruction>("EXPOSE $PORTS 8080/udp").Expand(new Expander(Scope));
        Assert.Equal(["80", "443", "8080/udp"], expose.Ports);
    }

    [Fact]
    public void MetadataInstructionsExpand()
    {
        // USER, WORKDIR, VOLUME, LABEL, STOPSIGNAL and ARG defaults are expanded by BuildKit.
        var e = new Expander(Scope);
        Assert.Equal("web", ((UserInstruction)Single<UserInstruction>("USER $NAME").Expand(e)).User);
        Assert.Equal("/home/app/src", ((WorkdirInstruction)Single<WorkdirInstruction>("WORKDIR ${HOME}/src").Expand(e)).Path);
        Assert.Equal(["/data/web"], ((VolumeInstruction)Single<VolumeInstruction>("VOLUME /data/$NAME").Expand(e)).Volumes);
        Assert.Equal([new KeyValue("version", "1.2")], ((LabelInstruction)Single<LabelInstruction>("LABEL version=$VERSION").Expand(e)).Labels);
        Assert.Equal([new ArgDefinition("X", "web-1")], ((ArgInstruction)Single<ArgInstruction>("ARG X=\"$NAME-1\"").Expand(e)).Args);
        Assert.Equal("SIGUSR1", ((StopSignalInstruction)Single<StopSignalInstruction>("STOPSIGNAL SIGUSR${SIG:-1}").Expand(e)).Signal);
    }

    [Fact]
    public void RunCommandTextIsLeftForTheShell()
    {
        // $VAR in a RUN command is the shell's job at run time.
        var run = Single<RunInstruction>("RUN echo $NAME");
        Assert.Equal(["echo $NAME"], ((RunInstruction)run.Expand(new Expander(Scope))).Command.Args);
    }

    [Fact]
    public void ExpansionErrorsCarryTheInstructionLocation()
    {
        // ${X:?} is how a Dockerfile says "this build arg is required"; the user needs the line.
        var workdir = Single<WorkdirInstruction>("WORKDIR ${APP_DIR:?set APP_DIR}");
        var e = Assert.Throws<DockerfileParseException>(() => workdir.Expand(new Expander(Scope)));
        Assert.Equal(2, e.Line);
        Assert.Contains("APP_DIR: set APP_DIR", e.Reason);
        Assert.StartsWith("WORKDIR", e.Reason);
    }

    [Fact]
    public void FromExpandsWithGlobalArgs()
    {
        // ARG before FROM parameterises the base image; --build-arg overrides the default.
        var stages = DockerfileStages.Parse("ARG BASE=alpine\nARG TAG=${BASE}-3\nFROM --platform=$PLAT $BASE:$TAG\n");
        var scope = stages.GlobalScope(new Dictionary<string, string> { ["BASE"] = "debian" });
        scope.Set("PLAT", "linux/amd64");
        var from = (FromInstruction)stages.Stages[0].From.Expand(new Expander(scope));
        Assert.Equal("debian:debian-3", from.BaseName);
        Assert.Equal("linux/amd64", from.Platform);
    }
}
