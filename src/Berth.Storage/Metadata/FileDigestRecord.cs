namespace Berth.Storage.Metadata;

/// <summary>The content digest of a context file as last hashed, valid while the file's size, mtime, ctime and
/// inode are unchanged: an unchanged rebuild does not read file contents again. The cache key itself always uses
/// the content digest, never these stat fields.</summary>
public sealed record FileDigestRecord(string Path, long Size, long MtimeNs, long CtimeNs, long Inode, string Digest);
