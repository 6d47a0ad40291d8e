using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Berth.Oci.Errors;
using Berth.Interop;
using static Berth.Network.Interop.Interop;

namespace Berth.Network.Nftables;

/// <summary>Runs libnftables-json(5) documents through libnftables, in the calling thread's network namespace.</summary>
public static class Nft
{
    /// <summary>Applies <paramref name="document"/> as one nftables transaction (all or nothing).</summary>
    public static void Apply(JsonObject document) => Run(document.ToJsonString(), "apply berth's nftables ruleset");

    /// <summary>The ruleset listing of berth's table as JSON, or null when the table does not exist.</summary>
    public static string? ListTable()
    {
        try
        {
            return Run($"list table ip {Ruleset.Table}", "list berth's nftables table");
        }
        catch (BerthException)
        {
            return null;
        }
    }

    private static string Run(string command, string what)
    {
        nint ctx;
        try
        {
            ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        }
        catch (DllNotFoundException e)
        {
            throw new BerthException(ErrorKind.Unavailable, $"{what}: {Libraries.Nftables} is missing (install the nftables package)", e);
        }
        if (ctx == 0) throw new BerthException(ErrorKind.Internal, $"{what}: nft_ctx_new failed");
        try
        {
            // The JSON output flag also makes libnftables parse its input as JSON (plain syntax still works).
            nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
            nft_ctx_buffer_output(ctx);
            nft_ctx_buffer_error(ctx);
            if (nft_run_cmd_from_buffer(ctx, command) != 0)
            {
                var error = Marshal.PtrToStringUTF8(nft_ctx_get_error_buffer(ctx))?.Trim();
                throw new BerthException(ErrorKind.Internal, $"{what}: {error}");
            }
            return Marshal.PtrToStringUTF8(nft_ctx_get_output_buffer(ctx)) ?? "";
        }
        finally
        {
            nft_ctx_free(ctx);
        }
    }
}
