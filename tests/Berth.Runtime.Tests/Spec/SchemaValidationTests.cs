using System.Text;
using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Testing;

namespace Berth.Runtime.Tests.Spec;

public sealed class SchemaValidationTests
{
    private const string ConfigSchema = "oci-runtime-schema/config-schema.json";

    public static TheoryData<string> OptionSets => new() { "default", "privileged", "limits", "mounts", "user", "hostnet-ro-nnp", "terminal" };

    private static RunOptions Options(string name) => name switch
    {
        "privileged" => new RunOptions { Privileged = true },
        "limits" => new RunOptions { Memory = 64 << 20, MemorySwap = -1, Cpus = 1.5m, CpuShares = 100, PidsLimit = 10, ShmSize = 1 << 20 },
        "mounts" => new RunOptions
        {
            Binds = [new BindMount { Source = "/srv", Destination = "/srv", ReadOnly = true }],
            Tmpfs = new Dictionary<string, string> { ["/run"] = "size=1m" },
        },
        "user" => new RunOptions { User = "7:8", GroupAdd = ["9"], WorkingDir = "/w", Env = ["A=B"] },
        "hostnet-ro-nnp" => new RunOptions { Network = NetworkMode.Host, ReadOnlyRootfs = true, NoNewPrivileges = true, CapDrop = ["ALL"] },
        "terminal" => new RunOptions { Terminal = true, Rlimits = [new PosixRlimit { Type = "RLIMIT_NOFILE", Soft = ulong.MaxValue, Hard = ulong.MaxValue }] },
        _ => new RunOptions(),
    };

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void GeneratedSpecValidatesAgainstTheOciSchema(string optionSet)
    {
        // Every config.json berth writes must be one any OCI runtime accepts (DESIGN.md § Runtime).
        var json = Encoding.UTF8.GetString(RuntimeJson.Serialize(TestHost.Generate(Options(optionSet))));
        var errors = OciSchemaValidator.Validate(ConfigSchema, json);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void TheValidatorCatchesAnInvalidSpec()
    {
        // The check above is only worth something if a broken document fails it.
        var json = Encoding.UTF8.GetString(RuntimeJson.Serialize(TestHost.Generate()))
            .Replace("\"RLIMIT_NOFILE\"", "\"nofile\"", StringComparison.Ordinal)
            .Replace("\"cwd\": \"/\"", "\"cwd\": 5", StringComparison.Ordinal);
        Assert.NotEmpty(OciSchemaValidator.Validate(ConfigSchema, json));
    }

    [Fact]
    public void StateValidatesAgainstTheStateSchema()
    {
        // `berth runtime state` prints the OCI state document.
        var state = new ContainerState { Id = "c1", Status = ContainerState.Running, Pid = 42, Bundle = "/b" };
        var errors = OciSchemaValidator.Validate("oci-runtime-schema/state-schema.json", Encoding.UTF8.GetString(RuntimeJson.Serialize(state)));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void SpecRoundTrips()
    {
        // config.json written by berth reads back to the same model (the init receives it this way).
        var spec = TestHost.Generate(Options("limits"));
        var again = RuntimeJson.ParseSpec(RuntimeJson.Serialize(spec), "config.json");
        Assert.Equal(RuntimeJson.Serialize(spec), RuntimeJson.Serialize(again));
    }
}
