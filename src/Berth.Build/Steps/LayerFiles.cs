using Berth.Build.Cache;
using Berth.Storage.Files;

namespace Berth.Build.Steps;

/// <summary>
/// Writes a COPY/ADD/WORKDIR step's files into a fresh layer directory. Directories above the destination that the
/// image already has are recreated with the image's mode, owner and time, so the layer changes only what the step
/// changed; new ones get 0755, the step's owner and a fixed time, so the same inputs give the same layer.
/// </summary>
public sealed class LayerFiles(string root, ImageTree? image, long fixedTimeNs)
{
    private readonly List<(string Host, long MtimeNs)> _dirTimes = [];
    private readonly HashSet<string> _made = new(StringComparer.Ordinal);

    public string Root { get; } = root;

    public string HostPath(string imagePath) => Root + "/" + imagePath.Trim('/');

    /// <summary>Creates every directory above <paramref name="imagePath"/> (and the path itself when
    /// <paramref name="includeSelf"/>).</summary>
    public void EnsureDirectories(string imagePath, bool includeSelf, uint uid, uint gid)
    {
        var parts = imagePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int count = includeSelf ? parts.Length : parts.Length - 1;
        var current = "";
        for (int i = 0; i < count; i++)
        {
            current += "/" + parts[i];
            if (_made.Contains(current)) continue;
            var host = HostPath(current);
            if (Directory.Exists(host)) { _made.Add(current); continue; }
            Directory.CreateDirectory(host);
            if (image?.Find(current) is { Stat.IsDirectory: true } existing)
            {
                Apply(host, existing.Stat.Permissions, existing.Stat.Uid, existing.Stat.Gid);
                _dirTimes.Add((host, existing.Stat.MtimeNs));
            }
            else
            {
                Apply(host, 0x1ED /* 0755 */, uid, gid);
                _dirTimes.Add((host, fixedTimeNs));
            }
            _made.Add(current);
        }
    }

    /// <summary>Copies one entry of <paramref name="source"/> to <paramref name="imagePath"/>; directories keep their
    /// own mode unless <paramref name="chmod"/> says otherwise. A file's content is read through the source, which
    /// checks it is the file that was hashed.</summary>
    public void Copy(ContextEntry e, ISourceFiles source, string imagePath, uint uid, uint gid, uint? chmod)
    {
        var host = HostPath(imagePath);
        EnsureDirectories(imagePath, includeSelf: false, uid, gid);
        var perms = chmod ?? e.Stat.Permissions;
        if (e.Stat.IsDirectory)
        {
            if (!Directory.Exists(host))
            {
                if (File.Exists(host)) File.Delete(host);
                Directory.CreateDirectory(host);
            }
            Apply(host, perms, uid, gid);
            _made.Add("/" + imagePath.Trim('/'));
            _dirTimes.Add((host, e.Stat.MtimeNs));
            return;
        }
        Remove(host);
        if (e.Stat.IsSymlink)
        {
            File.CreateSymbolicLink(host, e.LinkTarget ?? "");
            FileMetadata.Lchown(host, uid, gid);
            FileMetadata.SetTimes(host, e.Stat.MtimeNs);
            return;
        }
        if (!e.Stat.IsRegular) return; // devices, fifos and sockets in a context are not copied (as BuildKit)
        using (var from = source.OpenRead(e))
        using (var to = new FileStream(host, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            from.CopyTo(to);
        Apply(host, perms, uid, gid);
        FileMetadata.SetTimes(host, e.Stat.MtimeNs);
    }

    /// <summary>Copies a host file that is not a context entry (an ADD download) to <paramref name="imagePath"/>.</summary>
    public void CopyFile(string hostSource, string imagePath, uint mode, uint uid, uint gid, long mtimeNs)
    {
        var host = HostPath(imagePath);
        EnsureDirectories(imagePath, includeSelf: false, uid, gid);
        Remove(host);
        File.Copy(hostSource, host);
        Apply(host, mode, uid, gid);
        FileMetadata.SetTimes(host, mtimeNs);
    }

    public void WriteFile(string imagePath, byte[] data, uint mode, uint uid, uint gid)
    {
        var host = HostPath(imagePath);
        EnsureDirectories(imagePath, includeSelf: false, uid, gid);
        Remove(host);
        File.WriteAllBytes(host, data);
        Apply(host, mode, uid, gid);
        FileMetadata.SetTimes(host, fixedTimeNs);
    }

    private static void Remove(string host)
    {
        if (FileMetadata.TryLstat(host, out var st))
        {
            if (st.IsDirectory) Directory.Delete(host, recursive: true);
            else File.Delete(host);
        }
    }

    private static void Apply(string host, uint perms, uint uid, uint gid)
    {
        // chown first: it clears setuid/setgid bits that chmod then puts back.
        FileMetadata.Lchown(host, uid, gid);
        File.SetUnixFileMode(host, (UnixFileMode)(perms & 0xFFF));
    }

    /// <summary>Sets directory times last, deepest first: writing into a directory moves its mtime.</summary>
    public void Finish()
    {
        foreach (var (host, t) in _dirTimes.OrderByDescending(d => d.Host.Length))
            FileMetadata.SetTimes(host, t);
        FileMetadata.SetTimes(Root, fixedTimeNs);
    }
}
