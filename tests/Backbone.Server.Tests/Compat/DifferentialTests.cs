using System.Text;
using Backbone.Client;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Server.Tests.Compat;

/// <summary>
/// The same etcdctl command sequences against a real etcd (Debian's 3.4) and against Backbone,
/// each scenario on fresh servers; outputs must agree once what legitimately differs is
/// normalized (<see cref="OutputNormalizer"/>). etcd's output is the expected one.
/// </summary>
public sealed class DifferentialTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    [Theory]
    [MemberData(nameof(DifferentialScenarios.Names), MemberType = typeof(DifferentialScenarios))]
    public async Task EtcdctlSeesTheSameAsWithEtcd(string scenario)
    {
        IReadOnlyList<ScriptStep> steps = EtcdctlScript.Parse(DifferentialScenarios.All[scenario]);
        await using ServerPair pair = await servers.Pool.TakeAsync();

        IReadOnlyList<string>[] transcripts = await Task.WhenAll(
            ScriptRunner.RunAsync(pair.Etcd.Endpoint, steps),
            ScriptRunner.RunAsync(pair.Backbone.Endpoint, steps));
        IReadOnlyList<string> etcd = transcripts[0];
        IReadOnlyList<string> backbone = transcripts[1];

        StringBuilder differences = new();
        for (int i = 0; i < steps.Count; i++)
        {
            if (etcd[i] != backbone[i])
            {
                differences.Append($"\nline {steps[i].LineNumber}: {steps[i].Text}\n--- etcd\n{etcd[i]}+++ backbone\n{backbone[i]}");
            }
        }

        Assert.True(differences.Length == 0, $"scenario {scenario}: Backbone differs from etcd:{differences}");
    }

    /// <summary>Range options etcdctl 3.4 cannot send (count_only, revision filters), through our client.</summary>
    [Fact]
    public async Task RangeOptionsBeyondEtcdctlAgreeWithEtcd()
    {
        await using ServerPair pair = await servers.Pool.TakeAsync();
        using BackboneClient etcd = new(pair.Etcd.Endpoint);
        using BackboneClient backbone = new(pair.Backbone.Endpoint);

        RangeRequest[] requests =
        [
            new() { Key = Bytes("k"), RangeEnd = Bytes("l"), CountOnly = true },
            new() { Key = Bytes("k"), RangeEnd = Bytes("l"), CountOnly = true, Limit = 1 },
            new() { Key = Bytes("k"), RangeEnd = Bytes("l"), CountOnly = true, Revision = 3 },
            new() { Key = Bytes("k"), RangeEnd = Bytes("l"), MinModRevision = 4 },
            new() { Key = Bytes("k"), RangeEnd = Bytes("l"), MaxModRevision = 4, Limit = 1 },
            new() { Key = Bytes("k"), RangeEnd = Bytes("l"), MinCreateRevision = 3, MaxCreateRevision = 4 },
            new() { Key = Bytes("k"), RangeEnd = Bytes("l"), MinModRevision = 5, SortOrder = RangeRequest.Types.SortOrder.Descend, SortTarget = RangeRequest.Types.SortTarget.Mod },
            new() { Key = Bytes("k"), RangeEnd = Bytes("\0"), KeysOnly = true, CountOnly = true },
            new() { Key = Bytes("k1"), Serializable = true },
        ];

        foreach (BackboneClient client in (BackboneClient[])[etcd, backbone])
        {
            await client.PutAsync("k1", "a"); // revision 2
            await client.PutAsync("k2", "b"); // 3
            await client.PutAsync("k3", "c"); // 4
            await client.PutAsync("k1", "d"); // 5
            await client.PutAsync("z", "e"); // 6
        }

        foreach (RangeRequest request in requests)
        {
            RangeResponse expected = await etcd.RangeAsync(request);
            RangeResponse actual = await backbone.RangeAsync(request);
            Assert.Equal(WithoutServerIds(expected), WithoutServerIds(actual));
        }
    }

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    /// <summary>cluster_id, member_id and raft_term differ between any two clusters; the revision stays.</summary>
    private static string WithoutServerIds(RangeResponse response)
    {
        RangeResponse copy = response.Clone();
        copy.Header.ClusterId = 0;
        copy.Header.MemberId = 0;
        copy.Header.RaftTerm = 0;
        return copy.ToString();
    }
}
