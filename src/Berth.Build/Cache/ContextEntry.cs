using Berth.Storage.Files;

namespace Berth.Build.Cache;

/// <summary>One file, directory or symlink selected by a COPY/ADD source: its path relative to the source tree, what
/// lstat said when it was hashed, its link target, and (for a regular file) its content digest. <c>HostPath</c>
/// names it in messages and in the remembered digests only: contents are read through
/// <see cref="ISourceFiles.OpenRead"/>, which checks that the file is still the one hashed.</summary>
public sealed record ContextEntry(string HostPath, string RelativePath, FileStat Stat, string? LinkTarget, string? ContentDigest);
