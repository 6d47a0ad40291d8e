namespace Berth.Storage.Gc;

/// <summary>A leftover of interrupted work that no record names (a half-unpacked snapshot, an unfinished ingest, a
/// killed build step's bundle and processes …): what it is, for <c>system check</c>, and how to remove it, for
/// garbage collection and <c>system check --repair</c>. Found and removed under the store's exclusive lock, so
/// work in flight (which holds the shared lock) is never mistaken for debris.</summary>
public sealed record Debris(string Description, Action Remove);
