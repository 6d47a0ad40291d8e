using Berth.Dockerfile.Instructions;
using Berth.Dockerfile.Shell;
using static Berth.Dockerfile.Tests.Instructions.InstructionTestHelpers;

namespace Berth.Dockerfile.Tests.Instructions;

public sealed class StagesTests
{
    private const string MultiStage = """
        ARG GO=1.22
        FROM golang:${GO} AS base
        RUN go env
        FROM base AS build
        RUN --mount=type=cache,target=/root/.cache,from=tools go build
        FROM alpine AS tools
        RUN apk add x
        FROM scratch AS broken
        COPY --from=nowhere-image /x /x
        FROM alpine AS final
        COPY --from=build /out/app /app
        COPY --from=0 /etc/passwd /etc/passwd
        """;

    [Fact]
    public void StagesSplitAtFromWithGlobalArgs()
    {
        // Stage boundaries and meta ARGs decide what each stage sees.
        var stages = DockerfileStages.Parse(MultiStage);
        Assert.Equal(["base", "build", "tools", "broken", "final"], stages.Stages.Select(s => s.Name));
        Assert.Equal([new ArgDefinition("GO", "1.22")], Assert.Single(stages.GlobalArgs).Args);
        Assert.Equal(3, stages.Stages[3].Index);
        Assert.Same(stages.Stages[1], stages.FindStage("BUILD"));
        Assert.Same(stages.Stages[2], stages.FindStage("2"));
        Assert.Null(stages.FindStage("7"));
    }

    [Fact]
    public void RequiredStagesFollowFromCopyAndMountReferences()
    {
        // Only stages the target reaches are built; "broken" must be skipped.
        var stages = DockerfileStages.Parse(MultiStage);
        var scope = stages.GlobalScope(new Dictionary<string, string>());
        var required = stages.RequiredStages(null, scope);
        Assert.Equal(["base", "tools", "build", "final"], required.Select(s => s.Name));
        Assert.Equal(["base"], stages.RequiredStages("base", scope).Select(s => s.Name));
        Assert.Equal(["broken"], stages.RequiredStages("broken", scope).Select(s => s.Name));
    }

    [Fact]
    public void DependenciesSayWhichInstructionNeedsTheStage()
    {
        // Progress output explains why a stage was built.
        var stages = DockerfileStages.Parse(MultiStage);
        var deps = stages.Dependencies(stages.Stages[4], VariableScope.Empty);
        Assert.Equal(["build", "base"], deps.Select(d => d.Stage.Name));
        Assert.All(deps, d => Assert.IsType<CopyInstruction>(d.Via));
    }

    [Fact]
    public void FromWithTheSameNameAsItsStageMeansTheImage()
    {
        // "FROM node AS node" is common and must not be a cycle.
        var stages = DockerfileStages.Parse("FROM node AS node\nRUN x\n");
        Assert.Empty(stages.Dependencies(stages.Stages[0], VariableScope.Empty));
    }

    [Fact]
    public void BaseNameFromArgResolvesToAStage()
    {
        // FROM ${BASE} may name a stage through a build arg.
        var stages = DockerfileStages.Parse("ARG BASE=one\nFROM alpine AS one\nFROM alpine AS two\nFROM ${BASE}\n");
        var scope = stages.GlobalScope(new Dictionary<string, string> { ["BASE"] = "two" });
        Assert.Equal(["two", null], stages.RequiredStages(null, scope).Select(s => s.Name));
    }

    [Fact]
    public void CyclesAndMissingTargetsAreErrors()
    {
        // A cycle cannot be built; an unknown --target is a user error.
        var stages = DockerfileStages.Parse("FROM a AS x\nCOPY --from=y / /\nFROM a AS y\nCOPY --from=x / /\n");
        var e = Assert.Throws<DockerfileParseException>(() => stages.RequiredStages("y", VariableScope.Empty));
        Assert.Contains("circular dependency detected on stage", e.Reason);
        Assert.Throws<DockerfileParseException>(() => stages.RequiredStages("nope", VariableScope.Empty));
        var self = DockerfileStages.Parse("FROM a AS x\nCOPY --from=x / /\n");
        Assert.Contains("refers to itself", Assert.Throws<DockerfileParseException>(() => self.RequiredStages(null, VariableScope.Empty)).Reason);
    }

    [Fact]
    public void DuplicateStageNamesAreErrors()
    {
        // Two stages with one name make COPY --from ambiguous.
        var e = Fails("FROM a AS x\nFROM b AS X\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("duplicate stage name", e.Reason);
    }
}
