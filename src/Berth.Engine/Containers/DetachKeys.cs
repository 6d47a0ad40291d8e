using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>The key sequence that detaches a client from a container's terminal without stopping it: docker's
/// default Ctrl-P Ctrl-Q, or a spec such as <c>ctrl-a,x</c> (moby/term <c>ToBytes</c>: comma-separated keys, each one
/// character or <c>ctrl-</c> followed by a letter or one of <c>@ [ \ ] ^ _</c>). An empty spec turns detaching off.</summary>
public sealed record DetachKeys
{
    private DetachKeys(byte[] sequence) => Sequence = sequence;

    /// <summary>The bytes that, typed in a row, detach.</summary>
    public IReadOnlyList<byte> Sequence { get; }

    /// <summary>Ctrl-P Ctrl-Q.</summary>
    public static DetachKeys Default { get; } = new([0x10, 0x11]);

    /// <summary>Parses a spec as docker does. A bad one is InvalidArgument with docker daemon's wording
    /// ("Invalid detach keys (…) provided"); <paramref name="what"/> names the keys in it ("escape" for exec, as
    /// docker's exec endpoint says).</summary>
    public static DetachKeys Parse(string spec, string what = "detach")
    {
        if (TryParse(spec, out var keys)) return keys;
        throw BerthException.Invalid($"Invalid {what} keys ({spec}) provided");
    }

    public static bool TryParse(string spec, out DetachKeys keys)
    {
        keys = Default;
        var codes = new List<byte>();
        if (spec.Length > 0)
        {
            foreach (var key in spec.Split(','))
            {
                if (key.Length == 1)
                {
                    codes.Add((byte)key[0]);
                    continue;
                }
                var lower = key.ToLowerInvariant();
                if (lower.Length != 6 || !lower.StartsWith("ctrl-", StringComparison.Ordinal)) return false;
                var c = lower[5];
                // ctrl-@ is 0, ctrl-a … ctrl-z are 1 … 26, then ctrl-[ \ ] ^ _ are 27 … 31.
                int code = c switch
                {
                    '@' => 0,
                    >= 'a' and <= 'z' => c - 'a' + 1,
                    '[' => 27,
                    '\\' => 28,
                    ']' => 29,
                    '^' => 30,
                    '_' => 31,
                    _ => -1,
                };
                if (code < 0) return false;
                codes.Add((byte)code);
            }
        }
        keys = new DetachKeys([.. codes]);
        return true;
    }

    /// <summary>A fresh matcher for one input stream.</summary>
    internal Matcher NewMatcher() => new(this);

    /// <summary>Filters an input stream as docker's escape proxy does: bytes that may begin the sequence are held
    /// back, sent on if the sequence breaks, and never sent when it completes.</summary>
    internal sealed class Matcher(DetachKeys keys)
    {
        private int _matched;

        /// <summary>Appends what should reach the container to <paramref name="output"/>; true when the sequence
        /// completed (what followed it in <paramref name="input"/> is dropped).</summary>
        public bool Feed(ReadOnlySpan<byte> input, List<byte> output)
        {
            var seq = keys.Sequence;
            if (seq.Count == 0)
            {
                output.AddRange(input);
                return false;
            }
            foreach (var b in input)
            {
                if (b == seq[_matched])
                {
                    if (++_matched == seq.Count) return true;
                    continue;
                }
                for (var i = 0; i < _matched; i++) output.Add(seq[i]);
                _matched = 0;
                if (b == seq[0])
                {
                    _matched = 1;
                    if (seq.Count == 1) return true;
                }
                else
                {
                    output.Add(b);
                }
            }
            return false;
        }
    }
}
