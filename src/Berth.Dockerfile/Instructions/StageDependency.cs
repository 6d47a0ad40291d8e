namespace Berth.Dockerfile.Instructions;

/// <summary>Why one stage needs another: its FROM, a <c>COPY --from</c>, or a <c>RUN --mount=from=</c>.</summary>
public sealed record StageDependency(Stage Stage, Instruction Via);
