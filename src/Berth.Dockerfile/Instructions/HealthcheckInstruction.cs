namespace Berth.Dockerfile.Instructions;

/// <summary><c>HEALTHCHECK NONE</c> or <c>HEALTHCHECK [--interval=...] CMD command</c>.</summary>
public sealed record HealthcheckInstruction : Instruction
{
    public override string Keyword => "HEALTHCHECK";

    public required HealthConfig Health { get; init; }
}
