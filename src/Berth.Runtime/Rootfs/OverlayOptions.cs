namespace Berth.Runtime.Rootfs;

/// <summary>The data options of an overlayfs mount. mount(2) hands overlayfs one string in which "," separates
/// options and ":" separates lower layers, so a path holding either (a store under <c>/srv/a:b</c>) must escape
/// them, and "\" itself, with a backslash: overlayfs splits on unescaped separators only, then unescapes each
/// path (fs/overlayfs/params.c, <c>ovl_parse_param_split_lowerdirs</c> and <c>ovl_unescape</c>).
/// <see href="https://docs.kernel.org/filesystems/overlayfs.html"/></summary>
public static class OverlayOptions
{
    /// <summary><c>lowerdir=</c> (topmost layer first), <c>upperdir=</c> and <c>workdir=</c>, escaped.</summary>
    public static IReadOnlyList<string> For(IEnumerable<string> lowerTopFirst, string upper, string work) =>
        [$"lowerdir={string.Join(':', lowerTopFirst.Select(Escape))}", $"upperdir={Escape(upper)}", $"workdir={Escape(work)}"];

    public static string Escape(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Replace(@"\", @"\\", StringComparison.Ordinal).Replace(":", @"\:", StringComparison.Ordinal).Replace(",", @"\,", StringComparison.Ordinal);
    }
}
