using Berth.Oci.Errors;

namespace Berth.Runtime.Spec;

/// <summary>Container IDs name directories and cgroups, so they are checked before any filesystem use (P5).</summary>
public static class ContainerIds
{
    public static void Validate(string id)
    {
        if (!IsValid(id)) throw BerthException.Invalid($"invalid container ID \"{id}\": must match [A-Za-z0-9][A-Za-z0-9_.+-]{{0,127}}");
    }

    public static bool IsValid(string id)
    {
        if (id.Length is 0 or > 128 || !char.IsAsciiLetterOrDigit(id[0])) return false;
        foreach (var c in id)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '+' or '-')) return false;
        return true;
    }
}
