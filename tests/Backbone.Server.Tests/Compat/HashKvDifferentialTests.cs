using Backbone.Client;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Server.Tests.Compat;

/// <summary>
/// HashKV gives etcd's own number: the same history sent to a real etcd (Debian's 3.4.23) and to
/// Backbone, then HashKV at every revision, before and after compactions, and with no key left
/// (the case where etcd hashes everything its compaction kept). Hash, compact_revision, header
/// revision and error messages must all agree.
///
/// Not compared: HashKV at exactly the compaction point, which etcd 3.4.23 refuses as compacted
/// and later etcd releases (and Backbone) answer (etcd PR 14457); the store's HashKvTests cover it.
/// </summary>
public sealed class HashKvDifferentialTests
{
    private const long LeaseId = 0x5eed;

    [Fact]
    public async Task HashKvAgreesWithEtcdAtEveryRevisionAndAfterCompactions()
    {
        await using ServerPair pair = await ServerPair.StartAsync();
        using BackboneClient etcd = new(pair.Etcd.Endpoint);
        using BackboneClient backbone = new(pair.Backbone.Endpoint);
        BackboneClient[] both = [etcd, backbone];

        await AssertSameAsync(both, 0); // an empty store
        long current = 0;
        foreach (BackboneClient client in both)
        {
            current = await WriteHistoryAsync(client);
        }

        for (long revision = 0; revision <= current; revision++)
        {
            await AssertSameAsync(both, revision);
        }

        await AssertSameAsync(both, current + 1); // future
        await CompactAsync(both, 6);
        await AssertSameAsync(both, 0);
        for (long revision = 7; revision <= current; revision++)
        {
            await AssertSameAsync(both, revision);
        }

        await AssertSameAsync(both, 5); // compacted
        await AssertSameAsync(both, 1);

        // No key left: etcd's keep set is empty and it hashes every record its compaction kept.
        foreach (BackboneClient client in both)
        {
            await client.DeleteRangeAsync(new DeleteRangeRequest { Key = Bytes("\0"), RangeEnd = Bytes("\0") });
        }

        await AssertSameAsync(both, 0);
        await CompactAsync(both, current);
        await AssertSameAsync(both, 0);
        await AssertSameAsync(both, current + 1);
    }

    /// <summary>Puts, a txn with several changes, leased keys and their revoke, a range delete, an empty and a long value. Returns the revision reached.</summary>
    private static async Task<long> WriteHistoryAsync(BackboneClient client)
    {
        await client.LeaseGrantAsync(60, LeaseId);
        await client.PutAsync("a", "1");
        await client.PutAsync("b", "1", LeaseId);
        await client.PutAsync("c", "1", LeaseId);
        await client.TxnAsync(new TxnRequest
        {
            Success =
            {
                new RequestOp { RequestPut = new PutRequest { Key = Bytes("a"), Value = Bytes("2") } },
                new RequestOp { RequestPut = new PutRequest { Key = Bytes("d"), Value = Bytes("") } },
                new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes("b") } },
            },
        });
        await client.PutAsync("e", new string('x', 300));
        await client.PutAsync("f", "1");
        await client.LeaseRevokeAsync(LeaseId); // deletes c
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = Bytes("d"), RangeEnd = Bytes("f") });
        PutResponse last = await client.PutAsync("a", "3");
        return last.Header.Revision;
    }

    private static async Task CompactAsync(BackboneClient[] both, long revision)
    {
        foreach (BackboneClient client in both)
        {
            await client.CompactAsync(revision, physical: true); // etcd answers once its compaction finished
        }
    }

    private static async Task AssertSameAsync(BackboneClient[] both, long revision)
    {
        string expected = await HashKvAsync(both[0], revision);
        string actual = await HashKvAsync(both[1], revision);
        Assert.True(expected == actual, $"HashKV({revision}): etcd answered {expected}, Backbone {actual}");
    }

    /// <summary>The answer as one comparable line: hash, compact revision and header revision, or the error.</summary>
    private static async Task<string> HashKvAsync(BackboneClient client, long revision)
    {
        try
        {
            HashKVResponse response = await client.InvokeAsync(i =>
                new Maintenance.MaintenanceClient(i).HashKVAsync(new HashKVRequest { Revision = revision }).ResponseAsync);
            return $"hash {response.Hash} compact_revision {response.CompactRevision} revision {response.Header.Revision}";
        }
        catch (RpcException e)
        {
            return $"{e.StatusCode}: {e.Status.Detail}";
        }
    }

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);
}
