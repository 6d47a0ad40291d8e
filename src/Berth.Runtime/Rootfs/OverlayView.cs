using System.Runtime.ExceptionServices;
using Berth.Oci.Errors;
using static Berth.Runtime.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Rootfs;

/// <summary>A container's filesystem seen from the host without a host mount: a dedicated thread leaves the
/// process's mount namespace (unshare CLONE_FS|CLONE_NEWNS, everything made private), mounts the overlay there and
/// runs the caller's work on that path. The namespace, and the mount with it, ends with the thread, also when the
/// process dies halfway: nothing is ever left mounted on the host. Used by export, cp and commit of a container
/// whose own overlay lives only in its own mount namespace.</summary>
public static class OverlayView
{
    /// <summary>Runs <paramref name="body"/> on the merged view of <paramref name="layers"/> (topmost first).
    /// With <paramref name="upper"/> and <paramref name="work"/> the view is writable and changes land in
    /// <paramref name="upper"/> (only for a container that is not running: an upper dir serves one overlay at a
    /// time); without, it is read-only.</summary>
    public static T Run<T>(IReadOnlyList<string> layers, string? upper, string? work, Func<string, T> body)
    {
        if (layers.Count == 0) throw BerthException.Invalid("an overlay needs at least one lower layer");
        var target = Directory.CreateTempSubdirectory("berth-view-").FullName;
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                CheckIo(unshare(CLONE_FS | CLONE_NEWNS), "unshare(CLONE_NEWNS)");
                CheckIo(mount(null, "/", null, MS_REC | MS_PRIVATE, null), "mount(MS_PRIVATE)", "/");
                // A read-only overlay needs two lower layers: a single one is bound instead.
                if (upper is null && layers.Count == 1)
                    CheckIo(mount(layers[0], target, null, MS_BIND | MS_REC, null), "mount(bind)", target);
                else
                {
                    var options = $"lowerdir={string.Join(':', layers)}" + (upper is not null ? $",upperdir={upper},workdir={work}" : "");
                    CheckIo(mount("overlay", target, "overlay", upper is null ? MS_RDONLY : 0, options), "mount(overlay)", target);
                }
                result = body(target);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }) { Name = "berth overlay view", IsBackground = true };
        thread.Start();
        thread.Join();
        try
        {
            Directory.Delete(target);
        }
        catch (IOException)
        {
        }
        failure?.Throw();
        return result;
    }
}
