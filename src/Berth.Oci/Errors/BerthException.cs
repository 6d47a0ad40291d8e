namespace Berth.Oci.Errors;

/// <summary>Every failure berth reports on purpose. Subclasses add data, never a new kind.</summary>
public class BerthException : Exception
{
    public BerthException(ErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    public ErrorKind Kind { get; }

    public static BerthException NotFound(string message) => new(ErrorKind.NotFound, message);
    public static BerthException Invalid(string message) => new(ErrorKind.InvalidArgument, message);
    public static BerthException Conflict(string message) => new(ErrorKind.Conflict, message);
    public static BerthException DataLoss(string message) => new(ErrorKind.DataLoss, message);
}
