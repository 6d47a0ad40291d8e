namespace Berth.Engine.Images;

/// <summary>One line of pull or push progress as docker prints it: <c>ID: Status</c>, or a status alone
/// (<c>Id</c> null: "latest: Pulling from library/busybox", "Digest: sha256:…"). <c>Current</c> and
/// <c>Total</c> are bytes, for a terminal's bar.</summary>
public sealed record PullProgress(string? Id, string Status, long? Current = null, long? Total = null);
