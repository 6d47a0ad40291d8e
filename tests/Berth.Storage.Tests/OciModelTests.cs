using System.Text;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Testing;

namespace Berth.Storage.Tests;

public sealed class OciModelTests
{
    [Theory]
    [InlineData("sha256:../../etc/passwd")]
    [InlineData("sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678")]
    [InlineData("sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567890")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678\0")]
    [InlineData("/abs/path")]
    [InlineData("")]
    public void HostileDigestsAreRefused(string value)
    {
        // Digests become file names; anything but lower-case hex of the right length could walk the store.
        Assert.False(Digest.TryParse(value, out _));
        var e = Assert.Throws<BerthException>(() => Digest.Parse(value));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest", "busybox:latest")]
    [InlineData("me/app:1.0", "docker.io/me/app:1.0", "me/app:1.0")]
    [InlineData("localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app:latest")]
    [InlineData("registry.example.com/a/b/c:v", "registry.example.com/a/b/c:v", "registry.example.com/a/b/c:v")]
    [InlineData("docker.io/library/alpine:3", "docker.io/library/alpine:3", "alpine:3")]
    public void ReferencesNormaliseLikeDocker(string input, string full, string familiar)
    {
        var r = ImageReference.Parse(input);
        Assert.Equal(full, r.ToString());
        Assert.Equal(familiar, r.FamiliarName);
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("a/../b")]
    [InlineData("app:bad tag")]
    [InlineData("app:")]
    [InlineData(":tag")]
    public void BadReferencesAreRefused(string input) => Assert.False(ImageReference.TryParse(input, out _));

    [Fact]
    public void WrittenDocumentsValidateAgainstTheOciSchemas()
    {
        // Everything berth writes must be OCI: other tools read it.
        var layer = Digest.Sha256("layer"u8);
        var config = new ImageConfig
        {
            Architecture = "amd64", Os = "linux", Created = DateTimeOffset.UnixEpoch,
            Config = new ContainerConfig { Cmd = ["/bin/sh"], Env = ["A=1"], ExposedPorts = new Dictionary<string, EmptyObject> { ["80/tcp"] = EmptyObject.Instance } },
            RootFs = new RootFs { DiffIds = [layer] },
            History = [new History { CreatedBy = "test", EmptyLayer = false }],
        };
        var configBytes = OciJson.Serialize(config);
        Assert.Empty(SchemaValidator.Validate("oci-image-schema/config-schema.json", Encoding.UTF8.GetString(configBytes)));
        var manifest = new Manifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Sha256(configBytes), Size = configBytes.Length },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayer, Digest = layer, Size = 5 }],
        };
        var manifestBytes = OciJson.Serialize(manifest);
        Assert.Empty(SchemaValidator.Validate("oci-image-schema/image-manifest-schema.json", Encoding.UTF8.GetString(manifestBytes)));
        var index = new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = [new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Sha256(manifestBytes), Size = manifestBytes.Length, Annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = "1" } }],
        };
        Assert.Empty(SchemaValidator.Validate("oci-image-schema/image-index-schema.json", Encoding.UTF8.GetString(OciJson.Serialize(index))));
        // And the parse side refuses a manifest without its required fields, naming the object.
        var e = Assert.Throws<BerthException>(() => OciJson.Parse<Manifest>("{\"schemaVersion\":2}"u8, "manifest x"));
        Assert.Contains("manifest x", e.Message);
    }
}
