namespace Berth.Archive.Tests.Support;

/// <summary>
/// Tests of <see cref="LayerApplier"/> that every derived class runs with its own
/// <see cref="ApplyOptions.Parallelism"/>: 1 (every entry on the calling thread) and the default (small files
/// handed to workers). Both must give the same trees, refusals and errors.
/// </summary>
public abstract class ApplierSuite
{
    protected abstract int Parallelism { get; }

    private protected ApplyOptions With(ApplyOptions? options = null) =>
        (options ?? ApplyOptions.Default) with { Parallelism = Parallelism };

    private protected ApplyResult Apply(byte[] tar, string root, ApplyOptions? options = null) =>
        Tars.Apply(tar, root, With(options));
}
