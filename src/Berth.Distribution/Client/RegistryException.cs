using Berth.Oci.Errors;

namespace Berth.Distribution.Client;

/// <summary>A registry refused or failed a request. The message names the registry, the repository and (when
/// there is one) the digest or tag; <see cref="Code"/> is the distribution spec's error code when the registry
/// sent one (<c>MANIFEST_UNKNOWN</c>, <c>UNAUTHORIZED</c>…).</summary>
/// <see href="https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes"/>
public sealed class RegistryException(ErrorKind kind, string message, string? code = null, int? status = null, Exception? inner = null)
    : BerthException(kind, message, inner)
{
    public string? Code { get; } = code;
    public int? Status { get; } = status;

    /// <summary>The error class of an HTTP status, as the spec's codes map to them.</summary>
    public static ErrorKind KindOf(int status) => status switch
    {
        400 or 405 or 413 or 416 => ErrorKind.InvalidArgument,
        401 => ErrorKind.Unauthenticated,
        403 => ErrorKind.PermissionDenied,
        404 => ErrorKind.NotFound,
        409 => ErrorKind.Conflict,
        429 or 502 or 503 or 504 => ErrorKind.Unavailable,
        501 => ErrorKind.NotImplemented,
        _ => ErrorKind.Internal,
    };
}
