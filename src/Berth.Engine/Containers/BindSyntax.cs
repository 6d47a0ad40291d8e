using Berth.Engine.Volumes;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>
/// docker's bind syntax (<c>[SOURCE:]TARGET[:MODE,…]</c>), the text of the CLI's <c>-v</c> and of the Engine API's
/// <c>HostConfig.Binds</c>: both front ends parse it here into a <see cref="MountRequest"/> and refuse it with
/// dockerd's words (volume/mounts/linux_parser.go). The engine takes only the typed request.
/// </summary>
public static class BindSyntax
{
    public static MountRequest Parse(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Length == 0)) throw BerthException.Invalid($"invalid volume specification: '{spec}'");
        if (parts.Length == 1) return Checked(new MountRequest { Type = MountKind.Volume, Target = parts[0] }, spec);
        var (source, target) = (parts[0], parts[1]);
        bool readOnly = false, noCopy = false;
        string? propagation = null;
        foreach (var mode in parts.Length == 3 ? parts[2].Split(',') : [])
        {
            switch (mode)
            {
                case "ro": readOnly = true; break;
                case "rw": readOnly = false; break;
                case "nocopy": noCopy = true; break;
                case "copy": noCopy = false; break;
                case "z" or "Z": break;
                case "private" or "rprivate" or "shared" or "rshared" or "slave" or "rslave": propagation = mode; break;
                default: throw BerthException.Invalid($"invalid mode: {mode}");
            }
        }
        if (source.StartsWith('/'))
            return Checked(new MountRequest
            {
                Type = MountKind.Bind, Source = source, Target = target, ReadOnly = readOnly,
                // Compat: docker -v creates a missing host directory (--mount refuses it).
                BindOptions = new BindMountOptions { Propagation = propagation, CreateMountpoint = true },
            }, spec);
        var volume = Checked(new MountRequest
        {
            Type = MountKind.Volume, Source = source, Target = target, ReadOnly = readOnly,
            VolumeOptions = noCopy ? new VolumeMountOptions { NoCopy = true } : null,
        }, spec);
        return VolumeService.ValidName(source) ? volume : throw ContainerService.VolumeNameInvalid(source);
    }

    /// <summary>dockerd's check of the target, its words prefixed with the spec it was written in.</summary>
    private static MountRequest Checked(MountRequest m, string spec)
    {
        try
        {
            ContainerService.ValidateTarget(m);
        }
        catch (BerthException e) when (e.Kind == ErrorKind.InvalidArgument)
        {
            throw BerthException.Invalid($"invalid volume specification: '{spec}': {e.Message}");
        }
        return m;
    }

    /// <summary>A bind as <c>HostConfig.Binds</c> shows it: <c>SOURCE:TARGET[:MODE]</c>, or the target alone for an
    /// anonymous volume.</summary>
    public static string Format(MountRequest m)
    {
        if (m.Source.Length == 0) return m.Target;
        var modes = new List<string>();
        if (m.ReadOnly) modes.Add("ro");
        if (m.VolumeOptions?.NoCopy == true) modes.Add("nocopy");
        if (m.BindOptions?.Propagation is { } p) modes.Add(p);
        return modes.Count == 0 ? $"{m.Source}:{m.Target}" : $"{m.Source}:{m.Target}:{string.Join(',', modes)}";
    }
}
