using System.Net.Sockets;
using Backbone.Server.Tests.Support;
using static Backbone.Server.Tests.Http2.H2Bytes;

namespace Backbone.Server.Tests.Http2;

/// <summary>
/// A node's Kestrel taking the :authority values etcd clients send, over a hand-written HTTP/2
/// connection (so the exact fields are known) and from etcdctl itself.
/// </summary>
public sealed class AuthorityRepairKestrelTests
{
    [Fact]
    public async Task EveryCallOnAConnectionWithInvalidAuthoritiesIsAnswered()
    {
        await using TestNode node = await TestNode.StartAsync();
        using TcpClient tcp = new();
        await tcp.ConnectAsync("127.0.0.1", node.Port);
        NetworkStream stream = tcp.GetStream();

        // 1: grpc-go's, Huffman-coded and added to the table; 3: the same by index, so Kestrel's
        // table must hold the repaired value; 5: clientv3 3.5.0's; 7: nothing to keep (empty
        // :authority); 9: a valid one after all of them.
        byte[][] authorities =
        [
            Concat([0x41], Huff(HuffmanSchemeAuthority)),
            [0xbe],
            Concat([0x01], Str("#initially=[http://127.0.0.1:1;http://127.0.0.1:2]")),
            Concat([0x10], Str(":authority"), Str("%%%")),
            Concat([0x01], Str("127.0.0.1:2379")),
        ];
        List<byte[]> request = [Preface, Frame(H2Bytes.Settings, 0, 0, [])];
        for (int i = 0; i < authorities.Length; i++)
        {
            int id = (2 * i) + 1;
            request.Add(Frame(Headers, EndHeaders, id, StatusCallHeaders(authorities[i])));
            request.Add(Frame(Data, EndStream, id, EmptyGrpcMessage));
        }

        await stream.WriteAsync(Concat([.. request]));

        // A Status answer is a DATA frame with the message; a refused stream gets RST_STREAM.
        Dictionary<int, string> outcome = [];
        using CancellationTokenSource deadline = new(TimeSpan.FromSeconds(20));
        byte[] header = new byte[9];
        while (outcome.Count < authorities.Length)
        {
            await stream.ReadExactlyAsync(header, deadline.Token);
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            int id = ((header[5] & 0x7f) << 24) | (header[6] << 16) | (header[7] << 8) | header[8];
            byte[] payload = new byte[length];
            await stream.ReadExactlyAsync(payload, deadline.Token);
            Assert.True(header[3] != GoAway, "the server closed the connection (GOAWAY)");
            if (header[3] == RstStream)
            {
                outcome[id] = "reset";
            }
            else if (header[3] == Data && length > 5)
            {
                outcome[id] = "answered";
            }
        }

        Assert.Equal(
            Enumerable.Range(0, authorities.Length).Select(i => ((2 * i) + 1, "answered")),
            outcome.OrderBy(o => o.Key).Select(o => (o.Key, o.Value)));
    }

    [Fact]
    public async Task EtcdctlWithAnEndpointWrittenAsAUrlGetsTheStatus()
    {
        await using TestNode node = await TestNode.StartAsync();
        // etcdctl 3.4 dials each endpoint of `endpoint status` with passthrough:///ENDPOINT.
        Tool.Result status = await Tool.EtcdctlAsync($"http://{node.Endpoint}", null, "endpoint", "status", "-w", "json");
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains($"\"Endpoint\":\"http://{node.Endpoint}\"", status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("PROTOCOL_ERROR", status.All, StringComparison.Ordinal);
    }
}
