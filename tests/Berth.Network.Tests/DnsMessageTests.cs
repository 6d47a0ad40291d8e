using System.Buffers.Binary;
using System.Net;
using Berth.Network.Dns;

namespace Berth.Network.Tests;

/// <summary>The resolver's wire format and its answers, without sockets (issue 11: names, aliases and IDs; hostile
/// packets must not stop it).</summary>
public sealed class DnsMessageTests
{
    private static readonly IPAddress Client = IPAddress.Parse("172.18.0.3");

    /// <summary>Answers "a1"/"web" (two holders) with A records, refuses unknown clients, forwards the rest.</summary>
    private sealed class Records : IDnsRecords
    {
        public DnsLookup? Lookup(IPAddress client, DnsQuestion question)
        {
            if (!client.Equals(Client)) return DnsLookup.Refuse;
            return question.Name.ToLowerInvariant() switch
            {
                "a1" => question.Type == DnsMessage.TypeA ? new DnsLookup([IPAddress.Parse("172.18.0.2")], []) : DnsLookup.Empty,
                "web" => new DnsLookup([IPAddress.Parse("172.18.0.2"), IPAddress.Parse("172.18.0.4")], []),
                "many" => new DnsLookup([.. Enumerable.Range(1, 60).Select(i => IPAddress.Parse($"172.18.1.{i}"))], []),
                "2.0.18.172.in-addr.arpa" => new DnsLookup([], ["a1.net1"]),
                _ => null,
            };
        }

        public IReadOnlyList<IPEndPoint> Upstreams(IPAddress client) => [];
    }

    internal static byte[] Query(string name, ushort type, ushort id = 0x1234, ushort flags = 0x0100)
    {
        var bytes = new List<byte>();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        bytes.AddRange(header);
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange(new byte[] { 0, (byte)(type >> 8), (byte)type, 0, 1 });
        return [.. bytes];
    }

    private static byte[]? Respond(byte[] packet, bool udp = true) => DnsServer.Respond(new Records(), packet, Client, udp, out _);

    private static int Rcode(byte[] r) => r[3] & 0xF;
    private static int AnswerCount(byte[] r) => BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(6));

    [Fact]
    public void AContainerNameIsAnsweredAsDockersResolverDoes()
    {
        // docker's answers (reference §3.2): the query's ID and case echoed, RD copied, RA set, no AA, TTL 600.
        var r = Respond(Query("A1", DnsMessage.TypeA))!;
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(r));
        Assert.Equal(0x8180, BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(2)));
        Assert.Equal(1, AnswerCount(r));
        Assert.Equal("A1", System.Text.Encoding.ASCII.GetString(r, 13, 2));
        var answer = r.AsSpan(Query("A1", DnsMessage.TypeA).Length);
        Assert.Equal(0xC00C, BinaryPrimitives.ReadUInt16BigEndian(answer));
        Assert.Equal(DnsMessage.TypeA, BinaryPrimitives.ReadUInt16BigEndian(answer[2..]));
        Assert.Equal(600u, BinaryPrimitives.ReadUInt32BigEndian(answer[6..]));
        Assert.Equal(new byte[] { 172, 18, 0, 2 }, answer[12..16].ToArray());
    }

    [Fact]
    public void AaaaOfALocalNameIsAnEmptyAnswerAndOtherNamesAreForwarded()
    {
        // docker answers AAAA/MX of a container's name locally with no records (NOERROR), and forwards what it does not know.
        var r = Respond(Query("a1", DnsMessage.TypeAaaa))!;
        Assert.Equal(0, Rcode(r));
        Assert.Equal(0, AnswerCount(r));
        Assert.Null(DnsServer.Respond(new Records(), Query("www.example.test", DnsMessage.TypeA), Client, true, out var forward));
        Assert.True(forward);
        Assert.Equal(DnsMessage.RcodeRefused, Rcode(DnsServer.Respond(new Records(), Query("a1", DnsMessage.TypeA), IPAddress.Parse("10.0.0.9"), true, out _)!));
    }

    [Fact]
    public void PtrAndSeveralHoldersAreAnswered()
    {
        var ptr = Respond(Query("2.0.18.172.in-addr.arpa", DnsMessage.TypePtr))!;
        Assert.Equal(1, AnswerCount(ptr));
        Assert.EndsWith("\u0002a1\u0004net1\0", System.Text.Encoding.ASCII.GetString(ptr));
        Assert.Equal(2, AnswerCount(Respond(Query("web", DnsMessage.TypeA))!));
    }

    [Fact]
    public void AnAnswerTooLongForUdpIsTruncatedAndWholeOverTcp()
    {
        // 60 records do not fit 512 bytes: TC tells the client to ask again over TCP, where all come.
        var udp = Respond(Query("many", DnsMessage.TypeA))!;
        Assert.True(udp.Length <= DnsMessage.MaxUdpLength);
        Assert.NotEqual(0, udp[2] & 0x02);
        var tcp = Respond(Query("many", DnsMessage.TypeA), udp: false)!;
        Assert.Equal(0, tcp[2] & 0x02);
        Assert.Equal(60, AnswerCount(tcp));
    }

    [Fact]
    public void MalformedQueriesAreRefusedWithFormErrAndResponsesAreIgnored()
    {
        // What a hostile or broken client sends: each gets FORMERR/NOTIMP or nothing, never an exception.
        var tooLongLabel = Query("a1", 1);
        tooLongLabel[12] = 64;
        Assert.Equal(DnsMessage.RcodeFormErr, Rcode(Respond(tooLongLabel)!));
        var pointer = Query("a1", 1);
        pointer[12] = 0xC0;
        Assert.Equal(DnsMessage.RcodeFormErr, Rcode(Respond(pointer)!));
        var twoQuestions = Query("a1", 1);
        twoQuestions[5] = 2;
        Assert.Equal(DnsMessage.RcodeFormErr, Rcode(Respond(twoQuestions)!));
        Assert.Equal(DnsMessage.RcodeFormErr, Rcode(Respond(Query("a1", 1)[..16])!));
        Assert.Equal(DnsMessage.RcodeFormErr, Rcode(Respond(Query(string.Join('.', Enumerable.Repeat(new string('x', 63), 5)), 1))!));
        Assert.Equal(DnsMessage.RcodeNotImp, Rcode(Respond(Query("a1", 1, flags: 0x2800))!));
        Assert.Null(Respond(Query("a1", 1, flags: 0x8180)));
        Assert.Null(Respond(new byte[11]));
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        // Fuzz: random packets and random mutations of a valid query (fixed seed, bounded).
        var random = new Random(11);
        var valid = Query("web", DnsMessage.TypeA);
        for (var i = 0; i < 50_000; i++)
        {
            byte[] packet;
            if (i % 2 == 0)
            {
                packet = new byte[random.Next(0, 600)];
                random.NextBytes(packet);
            }
            else
            {
                packet = (byte[])valid.Clone();
                for (var k = random.Next(1, 4); k > 0; k--) packet[random.Next(packet.Length)] = (byte)random.Next(256);
                if (random.Next(4) == 0) packet = packet[..random.Next(packet.Length)];
            }
            var reply = Respond(packet);
            if (reply is not null) Assert.True(reply.Length >= DnsMessage.HeaderLength);
        }
    }
}
