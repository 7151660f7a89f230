using System.Net.Sockets;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Server;

/// <summary>Rules 10 and 11 over real sockets: truncation, EDNS0, TCP framing and pipelining, and what malformed packets get.</summary>
public sealed class ListenerProtocolTests : ListenerTests
{
    private const int ClassicUdpLimit = 512;
    [Fact]
    public async Task ALargeAnswerOverUdpWithoutEdnsIsTruncatedToFit512()
    {
        Message query = Query("tasks.big", DnsType.A);
        byte[]? reply = await UdpRawAsync(Server.Endpoint, query.ToByteArray(), Patience);

        Assert.NotNull(reply);
        Assert.InRange(reply.Length, Packets.HeaderLength, ClassicUdpLimit);
        Message answer = Parse(reply);
        Assert.True(answer.TC);
        Assert.Equal(query.Id, answer.Id);
        Assert.Equal(MessageStatus.NoError, answer.Status);
        Assert.Empty(answer.AdditionalRecords.OfType<OPTRecord>());
    }

    [Fact]
    public async Task TheSameAnswerIsCompleteOverTcp()
    {
        Message answer = await TcpAsync(Server.Endpoint, Query("tasks.big", DnsType.A));

        Assert.False(answer.TC);
        Assert.Equal(ListenerHarness.BigTasks, answer.Answers.Count);
        Assert.Equal(
            Enumerable.Range(1, ListenerHarness.BigTasks).Select(ListenerHarness.BigTaskAddress).Order(StringComparer.Ordinal),
            Addresses(answer));
    }

    [Fact]
    public async Task AnEdnsClientGetsAnswersUpToItsSizeOverUdp()
    {
        Message query = Query("tasks.big", DnsType.A, ednsPayload: 4096);
        byte[]? reply = await UdpRawAsync(Server.Endpoint, query.ToByteArray(), Patience);

        Assert.NotNull(reply);
        Assert.True(reply.Length > ClassicUdpLimit);
        Message answer = Parse(reply);
        Assert.False(answer.TC);
        Assert.Equal(ListenerHarness.BigTasks, answer.Answers.Count);
        Assert.Single(answer.AdditionalRecords.OfType<OPTRecord>());
    }

    [Fact]
    public async Task AnEdnsSizeBelow512CountsAs512()
    {
        Message query = Query("tasks.big", DnsType.A, ednsPayload: 200);
        byte[]? reply = await UdpRawAsync(Server.Endpoint, query.ToByteArray(), Patience);

        Assert.NotNull(reply);
        Assert.InRange(reply.Length, Packets.HeaderLength, ClassicUdpLimit);
        Message answer = Parse(reply);
        Assert.True(answer.TC);
        Assert.Single(answer.AdditionalRecords.OfType<OPTRecord>()); // truncated, and still EDNS
    }

    [Fact]
    public async Task AnOptIsEchoedOnlyWhenTheQueryHasOne()
    {
        Message with = await UdpAsync(Server.Endpoint, Query("web", DnsType.A, ednsPayload: 1232));
        Message without = await UdpAsync(Server.Endpoint, Query("web", DnsType.A));

        OPTRecord opt = Assert.Single(with.AdditionalRecords.OfType<OPTRecord>());
        Assert.True(opt.RequestorPayloadSize >= 512);
        Assert.Empty(without.AdditionalRecords);
    }

    [Fact]
    public async Task AnUnknownOpcodeIsNotImplemented()
    {
        Message query = Query("web", DnsType.A);
        query.Opcode = MessageOperation.Status;

        Message answer = await UdpAsync(Server.Endpoint, query);

        Assert.Equal(MessageStatus.NotImplemented, answer.Status);
        Assert.Empty(answer.Answers);
    }

    [Fact]
    public async Task TwoQuestionsAreAFormatError()
    {
        Message query = Query("web", DnsType.A);
        query.Questions.Add(new Question { Name = new DomainName("db"), Type = DnsType.A, Class = DnsClass.IN });

        Message answer = await UdpAsync(Server.Endpoint, query);

        Assert.Equal(MessageStatus.FormatError, answer.Status);
        Assert.Empty(answer.Answers);
    }

    [Theory]
    [InlineData("c0ff")] // a pointer past the end
    [InlineData("c00c")] // a pointer to itself
    [InlineData("03616263c00c")] // a pointer back to the name's own start: a loop
    [InlineData("ffffffffffffffffffff")] // not a name at all
    [InlineData("4161")] // label type 01 (extended, RFC 6891): unsupported
    [InlineData("03ff80fe00")] // a label of bytes outside ASCII
    public async Task GarbageAfterAHeaderGetsFormErrWithTheSameId(string hex)
    {
        byte[] packet = [.. Packets.Header(0xbeef), .. Convert.FromHexString(hex), 0, 1, 0, 1];

        byte[]? reply = await UdpRawAsync(Server.Endpoint, packet, Patience);

        Assert.NotNull(reply);
        Assert.Equal(0xbeef, Packets.Id(reply));
        Assert.True(Packets.IsResponse(reply));
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(reply));
        Assert.Equal([ListenerHarness.WebVip], Addresses(await UdpAsync(Server.Endpoint, Query("web", DnsType.A))));
    }

    [Fact]
    public async Task ALabelLongerThan63IsAFormatError()
    {
        byte[] packet = [.. Packets.Header(0x1234), 64, .. Enumerable.Repeat((byte)'a', 64), 0, 0, 1, 0, 1];

        byte[]? reply = await UdpRawAsync(Server.Endpoint, packet, Patience);

        Assert.NotNull(reply);
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(reply));
    }

    [Fact]
    public async Task ANameLongerThan255BytesIsAFormatError()
    {
        byte[] label = [63, .. Enumerable.Repeat((byte)'a', 63)];
        byte[] packet = [.. Packets.Header(0x1234), .. label, .. label, .. label, .. label, 0, 0, 1, 0, 1]; // 4 x 64 + 1 = 257 bytes

        byte[]? reply = await UdpRawAsync(Server.Endpoint, packet, Patience);

        Assert.NotNull(reply);
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(reply));
    }

    [Fact]
    public async Task AWellFormedCompressedNameIsRead()
    {
        // A backward pointer is how every compressed name looks: here the OPT's owner points at
        // the question's name (an OPT's owner should be the root; being lenient costs nothing).
        byte[] packet = [.. Packets.Header(0x4321, additional: 1), .. Packets.Name("web"), .. Packets.TypeAndClass(1), 0xc0, 12, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0];

        byte[]? reply = await UdpRawAsync(Server.Endpoint, packet, Patience);

        Assert.NotNull(reply);
        Message answer = Parse(reply);
        Assert.Equal(MessageStatus.NoError, answer.Status);
        Assert.Equal([ListenerHarness.WebVip], Addresses(answer));
    }

    [Fact]
    public async Task FewerThan12BytesGetNoAnswer()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(Server.Endpoint);
        Message good = Query("web", DnsType.A);

        await socket.SendAsync(new byte[] { 0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0 });
        await socket.SendAsync(good.ToByteArray());

        // Datagrams are handled in order on one socket: the first reply is the good query's.
        byte[]? reply = await ReceiveAsync(socket, Patience);
        Assert.NotNull(reply);
        Assert.Equal(good.Id, Packets.Id(reply));
        Assert.True(Server.Counters.Dropped >= 1);
    }

    [Fact]
    public async Task ResponsesSentToUsAreNotAnswered()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(Server.Endpoint);
        Message good = Query("web", DnsType.A);

        byte[] response = Packets.Query(0x7777, "web");
        response[2] |= 0x80; // QR

        await socket.SendAsync(response);
        await socket.SendAsync(new byte[] { 0x77, 0x78, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0 }); // a response that does not parse either
        await socket.SendAsync(good.ToByteArray());

        byte[]? reply = await ReceiveAsync(socket, Patience);
        Assert.NotNull(reply);
        Assert.Equal(good.Id, Packets.Id(reply));
    }

    [Fact]
    public async Task ThreeQueriesPipelinedOnOneConnectionGetThreeAnswersInOrder()
    {
        Message[] queries = [Query("web", DnsType.A), Query("tasks.big", DnsType.A), Query("db", DnsType.A)];
        byte[] written = [.. queries.SelectMany(q => Frame(q.ToByteArray()))];

        byte[][] replies = await TcpExchangeAsync(Server.Endpoint, written, 3);

        Message[] answers = [.. replies.Select(Parse)];
        Assert.Equal(queries.Select(q => q.Id), answers.Select(a => a.Id));
        Assert.Equal([ListenerHarness.WebVip], Addresses(answers[0]));
        Assert.Equal(ListenerHarness.BigTasks, answers[1].Answers.Count);
        Assert.Equal(["10.0.1.30"], Addresses(answers[2]));
    }

    [Fact]
    public async Task ADeeplyLabelledNameCostsNoMoreThanAnyOtherPacket()
    {
        // 30,000 one-byte labels: a parser that recurses per label and copies the rest of the
        // name at each level spends seconds (quadratic) or runs out of stack on it.
        byte[] labels = new byte[30_000 * 2];
        for (int i = 0; i < labels.Length; i += 2)
        {
            labels[i] = 1;
            labels[i + 1] = (byte)'a';
        }

        byte[] packet = [.. Packets.Header(0x5151), .. labels, 0, 0, 1, 0, 1];

        byte[]? overUdp = await UdpRawAsync(Server.Endpoint, packet, Patience);

        Assert.NotNull(overUdp);
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(overUdp));

        // Over TCP a query this long is not even read (at most 4 KiB): the connection is closed
        // (an orderly end, or a reset since the rest of what we wrote was never read).
        Exception closed = await Assert.ThrowsAnyAsync<Exception>(() => TcpExchangeAsync(Server.Endpoint, Frame(packet), 1));
        Assert.True(closed is IOException || closed.Message.Contains("closed the connection after 0", StringComparison.Ordinal), closed.ToString());
        Assert.Equal([ListenerHarness.WebVip], Addresses(await UdpAsync(Server.Endpoint, Query("web", DnsType.A))));
    }

    [Fact]
    public async Task AFormatErrorForThousandsOfQuestionsStillFitsUdp()
    {
        var packet = new List<byte>(Packets.Header(0x6666, questions: 3000));
        packet.AddRange([.. Packets.Name("web"), .. Packets.TypeAndClass(1)]);
        for (int i = 1; i < 3000; i++)
        {
            packet.AddRange([0xc0, 12, .. Packets.TypeAndClass(1)]);
        }

        byte[]? reply = await UdpRawAsync(Server.Endpoint, [.. packet], Patience);

        Assert.NotNull(reply);
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(reply));
        Assert.InRange(reply.Length, Packets.HeaderLength, ClassicUdpLimit);
    }

    [Fact]
    public async Task TwoOptRecordsAreAFormatError()
    {
        byte[] packet = [.. Packets.Header(0x2222, additional: 2), .. Packets.Name("web"), .. Packets.TypeAndClass(1), .. Packets.Opt(1232), .. Packets.Opt(1232)];

        byte[]? reply = await UdpRawAsync(Server.Endpoint, packet, Patience);

        Assert.NotNull(reply);
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(reply));
    }

    [Fact]
    public async Task AnOptWhoseLengthRunsPastTheEndIsAFormatError()
    {
        byte[] packet = [.. Packets.Header(0x3333, additional: 1), .. Packets.Name("web"), .. Packets.TypeAndClass(1), .. Packets.Opt(1232, [0, 10, 0, 4, 1, 2], rdLength: 40)];

        byte[]? reply = await UdpRawAsync(Server.Endpoint, packet, Patience);

        Assert.NotNull(reply);
        Assert.Equal((int)MessageStatus.FormatError, Packets.Rcode(reply));
    }

    [Fact]
    public async Task TcpConnectionsAreBoundedAndTheListenerRecovers()
    {
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < Backbone.Dns.Server.DnsListener.MaxTcpConnections; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(Server.Endpoint);
                idle.Add(socket);
            }

            // One more: accepted and closed at once (the read sees the end), not left hanging.
            using var extra = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await extra.ConnectAsync(Server.Endpoint);
            using var wait = new CancellationTokenSource(Patience);
            Assert.Equal(0, await extra.ReceiveAsync(new byte[16], SocketFlags.None, wait.Token));
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }

        // Their slots come back as they close.
        Message? answer = null;
        for (int attempt = 0; attempt < 100 && answer is null; attempt++)
        {
            answer = await TryTcpAsync();
            if (answer is null)
            {
                await Task.Delay(50);
            }
        }

        Assert.NotNull(answer);
        Assert.Equal(MessageStatus.NoError, answer.Status);
    }

    [Fact]
    public void NoUdpAnswerIsLargerThanWeAdvertiseWhateverTheClientAsks()
    {
        Message query = Query("tasks.many", DnsType.A, ednsPayload: 65_000);
        Message response = Backbone.Dns.Server.DnsResponder.NewResponse(query, MessageStatus.NoError);
        for (int i = 0; i < 200; i++)
        {
            response.Answers.Add(new ARecord { Name = new DomainName("tasks.many"), Address = System.Net.IPAddress.Parse($"10.1.{i / 250}.{i % 250}"), TTL = TimeSpan.FromSeconds(5) });
        }

        byte[] udp = Backbone.Dns.Server.DnsResponder.Reply(query, response, overTcp: false).Bytes!;
        Assert.True(udp.Length <= Backbone.Dns.Server.DnsResponder.OurUdpPayload, $"{udp.Length} bytes over UDP");
        Assert.True(Parse(udp).TC); // a 40-byte question never draws kilobytes at a spoofed address
    }

    private async Task<Message?> TryTcpAsync()
    {
        try
        {
            return await TcpAsync(Server.Endpoint, Query("web", DnsType.A));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            return null;
        }
    }
}
