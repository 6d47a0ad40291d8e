namespace Berth.Oci.Errors;

public sealed class DigestMismatchException(string subject, Digest expected, Digest actual, long size)
    : BerthException(ErrorKind.DataLoss, $"{subject}: digest {actual} (size {size}), expected {expected}")
{
    public Digest Expected { get; } = expected;
    public Digest Actual { get; } = actual;
}
