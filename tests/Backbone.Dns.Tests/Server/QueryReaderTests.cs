using Backbone.Dns.Server;
using Makaretu.Dns;

namespace Backbone.Dns.Tests.Server;

/// <summary>Our bounds-checked query reader: what it keeps, and every way a name or record can be malformed.</summary>
public sealed class QueryReaderTests
{
    [Fact]
    public void ReadsTheHeaderTheQuestionAndTheOpt()
    {
        // dig's query: RD and AD set, one question, an OPT of 1232 bytes with DO and a cookie.
        byte[] cookie = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];
        byte[] opt = [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, (byte)cookie.Length, .. cookie];
        byte[] packet = [.. Packets.Header(0xabcd, flags: 0x0120, additional: 1), .. Packets.Name("Tasks.Web"), .. Packets.TypeAndClass(33), .. opt];

        Message query = Read(packet);

        Assert.Equal(0xabcd, query.Id);
        Assert.False(query.QR);
        Assert.True(query.RD);
        Assert.Equal(MessageOperation.Query, query.Opcode);
        Question question = Assert.Single(query.Questions);
        Assert.Equal("Tasks.Web", question.Name.ToString());
        Assert.Equal(DnsType.SRV, question.Type);
        Assert.Equal(DnsClass.IN, question.Class);
        OPTRecord edns = Assert.IsType<OPTRecord>(Assert.Single(query.AdditionalRecords));
        Assert.Equal(1232, edns.RequestorPayloadSize);
        Assert.True(edns.DO);
        Assert.Equal(0, edns.Version);
    }

    [Fact]
    public void TheOpcodeComesFromTheHeader()
    {
        byte[] packet = Packets.Query(1, "web");
        packet[2] |= 2 << 3; // STATUS

        Assert.Equal(MessageOperation.Status, Read(packet).Opcode);
    }

    [Fact]
    public void BackwardPointersAreFollowed()
    {
        // abc. | x + pointer to abc. | pointer to the second name
        byte[] packet =
        [
            .. Packets.Header(1, questions: 3),
            3, (byte)'a', (byte)'b', (byte)'c', 0, 0, 1, 0, 1, // at 12
            1, (byte)'x', 0xc0, 12, 0, 1, 0, 1, // at 21
            0xc0, 21, 0, 28, 0, 1,
        ];

        Message query = Read(packet);

        Assert.Equal(["abc", "x.abc", "x.abc"], query.Questions.Select(q => q.Name.ToString()));
        Assert.Equal(DnsType.AAAA, query.Questions[2].Type);
    }

    [Fact]
    public void OtherRecordsAreWalkedAndDropped()
    {
        byte[] answer = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1];
        byte[] optInTheWrongSection = [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0];
        byte[] packet = [.. Packets.Header(1, answers: 1, authority: 1), .. Packets.Name("web"), .. Packets.TypeAndClass(1), .. answer, .. optInTheWrongSection, 0xde, 0xad];

        Message query = Read(packet);

        Assert.Equal("web", Assert.Single(query.Questions).Name.ToString());
        Assert.Empty(query.Answers);
        Assert.Empty(query.AdditionalRecords); // an OPT counts only in the additional section
    }

    [Fact]
    public void ANameOf255BytesIsTheLongestAllowed()
    {
        string longest = string.Join('.', new string('a', 63), new string('b', 63), new string('c', 63), new string('d', 61));
        string tooLong = longest + "d";

        Assert.Equal(longest, Read(Packets.Query(1, longest)).Questions[0].Name.ToString());
        Assert.Null(QueryReader.Read(Packets.Query(1, tooLong)));
    }

    [Fact]
    public void TheRootIsAName()
    {
        byte[] packet = [.. Packets.Header(1), 0, 0, 2, 0, 1];

        Assert.Empty(Read(packet).Questions[0].Name.Labels);
    }

    [Theory]
    [InlineData("")] // no name at all
    [InlineData("03616263")] // a name that never ends
    [InlineData("036162630000")] // a question without its whole type and class
    [InlineData("c00c00010001")] // a pointer to itself
    [InlineData("c00e00010001c00c")] // a pointer forwards, to one that points back
    [InlineData("03616263c00c00010001")] // a pointer back to the start of its own name: a loop
    [InlineData("0161c00f036162630000010001")] // pointing to a later label of its own name
    [InlineData("c00200010001")] // a pointer into the header
    [InlineData("c0")] // half a pointer
    [InlineData("4061")] // label type 01
    [InlineData("8061")] // label type 10
    [InlineData("02c3a900010001")] // UTF-8 (é): not ASCII
    public void MalformedQuestionsAreRejected(string hex)
    {
        byte[] packet = [.. Packets.Header(1), .. Convert.FromHexString(hex)];

        Assert.Null(QueryReader.Read(packet));
    }

    [Fact]
    public void ALabelOver63BytesIsRejected()
    {
        byte[] packet = [.. Packets.Header(1), 64, .. new byte[64].Select(_ => (byte)'a'), 0, 0, 1, 0, 1];

        Assert.Null(QueryReader.Read(packet));
    }

    [Fact]
    public void CountsBeyondThePacketAreRejected()
    {
        byte[] packet = [.. Packets.Header(1, questions: 1, answers: 65535, authority: 65535, additional: 65535), .. Packets.Name("web"), .. Packets.TypeAndClass(1)];

        Assert.Null(QueryReader.Read(packet));
        Assert.Null(QueryReader.Read(Packets.Header(1, questions: 65535)));
    }

    [Fact]
    public void ARecordWhoseDataRunsPastTheEndIsRejected()
    {
        byte[] packet = [.. Packets.Header(1, additional: 1), .. Packets.Name("web"), .. Packets.TypeAndClass(1), .. Packets.Opt(1232, [0, 10, 0, 2, 1, 2], rdLength: 7)];

        Assert.Null(QueryReader.Read(packet));
    }

    [Fact]
    public void TwoOptsAreRejected()
    {
        byte[] packet = [.. Packets.Header(1, additional: 2), .. Packets.Name("web"), .. Packets.TypeAndClass(1), .. Packets.Opt(512), .. Packets.Opt(4096)];

        Assert.Null(QueryReader.Read(packet));
    }

    [Fact]
    public void AChainOfPointersIsFollowedUpToItsBound()
    {
        Message query = Read(PointerChain(QueryReader.MaxPointerHops + 1));

        Assert.Equal(QueryReader.MaxPointerHops + 1, query.Questions.Count);
        Assert.All(query.Questions, q => Assert.Equal("z", q.Name.ToString()));
        Assert.Null(QueryReader.Read(PointerChain(QueryReader.MaxPointerHops + 2)));
    }

    /// <summary><paramref name="count"/> questions: "z.", then names that are each a pointer to the one before (legal, if odd).</summary>
    private static byte[] PointerChain(int count)
    {
        var packet = new List<byte>(Packets.Header(1, questions: count));
        int previous = packet.Count;
        packet.AddRange([1, (byte)'z', 0, 0, 1, 0, 1]);
        for (int i = 1; i < count; i++)
        {
            int here = packet.Count;
            packet.AddRange([(byte)(0xc0 | (previous >> 8)), (byte)previous, 0, 1, 0, 1]);
            previous = here;
        }

        return [.. packet];
    }

    private static Message Read(byte[] packet)
    {
        Message? query = QueryReader.Read(packet);
        Assert.NotNull(query);
        return query;
    }
}
