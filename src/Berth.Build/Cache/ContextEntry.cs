using Berth.Storage.Files;

namespace Berth.Build.Cache;

/// <summary>One file, directory or symlink of the build context selected by a COPY/ADD source: where it is on the
/// host, its path relative to the context, what lstat says, and (for a regular file) its content digest.</summary>
public sealed record ContextEntry(string HostPath, string RelativePath, FileStat Stat, string? LinkTarget, string? ContentDigest);
