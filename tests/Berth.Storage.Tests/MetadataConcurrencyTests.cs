using Berth.Oci;
using Berth.Storage.Metadata;
using Berth.Testing;

namespace Berth.Storage.Tests;

public sealed class MetadataConcurrencyTests
{
    [Fact]
    public async Task ThreadsShareOneMetadataStoreWithoutMixingTransactions()
    {
        // The daemon serves many requests at once from one engine and so one metadata connection: a statement of one
        // request landing inside another's transaction fails ("cannot start a transaction within a transaction",
        // a reader of a closed command) or commits half of someone else's change.
        using var dir = new TempDirectory("berth-meta");
        using var meta = new MetadataStore(dir.Combine("metadata.db"));
        var image = Digest.Sha256("config"u8);
        meta.PutImage(new ImageRecord
        {
            Id = image, ManifestDigest = Digest.Sha256("manifest"u8), ManifestSize = 8, ManifestMediaType = MediaTypes.OciManifest,
            ConfigSize = 6, Added = DateTimeOffset.UtcNow, Layers = [],
        });
        const int threads = 8, each = 200;
        var tasks = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < each; i++)
            {
                // Two rows in one transaction: a reader must see both or neither.
                meta.Write(_ =>
                {
                    meta.SetTag($"t{t}/a:{i}", image);
                    meta.SetTag($"t{t}/b:{i}", image);
                    return 0;
                });
                var tags = meta.ListTags().Select(x => x.Name).ToHashSet();
                for (int j = 0; j <= i; j++)
                    Assert.Equal(tags.Contains($"t{t}/a:{j}"), tags.Contains($"t{t}/b:{j}"));
                Assert.Equal(image, meta.GetTag($"t{t}/b:{i}"));
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.Equal(threads * each * 2, meta.ListTags().Count);
    }
}
