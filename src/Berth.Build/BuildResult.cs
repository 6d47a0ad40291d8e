using Berth.Oci;

namespace Berth.Build;

/// <summary>The image a build produced, and how much of it came from the cache.</summary>
public sealed record BuildResult(Digest ImageId, int Steps, int CachedSteps, bool ImageReused);
