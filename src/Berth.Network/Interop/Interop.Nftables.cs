using System.Runtime.InteropServices;
using Berth.Interop;

namespace Berth.Network.Interop;

/// <summary>libnftables(3): one context, commands from a buffer (JSON when the output flag says so), errors into a
/// buffer of the context. https://www.netfilter.org/projects/nftables/manpage.html (libnftables-json(5)).</summary>
internal static partial class Interop
{
    internal const uint NFT_CTX_DEFAULT = 0;
    internal const uint NFT_CTX_OUTPUT_JSON = 1 << 4;

    [LibraryImport(Libraries.Nftables)]
    internal static partial nint nft_ctx_new(uint flags);

    [LibraryImport(Libraries.Nftables)]
    internal static partial void nft_ctx_free(nint ctx);

    [LibraryImport(Libraries.Nftables)]
    internal static partial void nft_ctx_output_set_flags(nint ctx, uint flags);

    [LibraryImport(Libraries.Nftables)]
    internal static partial int nft_ctx_buffer_output(nint ctx);

    [LibraryImport(Libraries.Nftables)]
    internal static partial int nft_ctx_buffer_error(nint ctx);

    [LibraryImport(Libraries.Nftables)]
    internal static partial nint nft_ctx_get_output_buffer(nint ctx);

    [LibraryImport(Libraries.Nftables)]
    internal static partial nint nft_ctx_get_error_buffer(nint ctx);

    [LibraryImport(Libraries.Nftables, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nft_run_cmd_from_buffer(nint ctx, string buf);
}
