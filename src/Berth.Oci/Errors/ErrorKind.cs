namespace Berth.Oci.Errors;

/// <summary>The closed set of failure classes. Each edge (CLI exit codes, Engine API status, registry codes)
/// maps these once; see STYLE.md §6. A new kind is a design change.</summary>
public enum ErrorKind
{
    Internal,
    NotFound,
    InvalidArgument,
    Conflict,
    Unauthenticated,
    PermissionDenied,
    Unavailable,
    NotImplemented,
    DataLoss,
}
