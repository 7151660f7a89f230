using Backbone.Store.Model;
using Google.Protobuf;
using Etcd = Etcdserverpb;

namespace Backbone.Server;

/// <summary>Converts between etcd's protobuf messages and the store's own request and result model.</summary>
public static class ProtoMapping
{
    public static RangeRequest ToStore(Etcd.RangeRequest r) => new()
    {
        Key = r.Key.ToByteArray(),
        RangeEnd = r.RangeEnd.ToByteArray(),
        Limit = r.Limit,
        Revision = r.Revision,
        SortOrder = (SortOrder)r.SortOrder,
        SortTarget = (SortTarget)r.SortTarget,
        Serializable = r.Serializable,
        KeysOnly = r.KeysOnly,
        CountOnly = r.CountOnly,
        MinModRevision = r.MinModRevision,
        MaxModRevision = r.MaxModRevision,
        MinCreateRevision = r.MinCreateRevision,
        MaxCreateRevision = r.MaxCreateRevision,
    };

    public static PutRequest ToStore(Etcd.PutRequest r) => new()
    {
        Key = r.Key.ToByteArray(),
        Value = r.Value.ToByteArray(),
        Lease = r.Lease,
        PrevKv = r.PrevKv,
        IgnoreValue = r.IgnoreValue,
        IgnoreLease = r.IgnoreLease,
    };

    public static DeleteRangeRequest ToStore(Etcd.DeleteRangeRequest r) => new()
    {
        Key = r.Key.ToByteArray(),
        RangeEnd = r.RangeEnd.ToByteArray(),
        PrevKv = r.PrevKv,
    };

    public static TxnRequest ToStore(Etcd.TxnRequest r) => new()
    {
        Compare = [.. r.Compare.Select(ToStore)],
        Success = [.. r.Success.Select(ToStore)],
        Failure = [.. r.Failure.Select(ToStore)],
    };

    public static Compare ToStore(Etcd.Compare c) => new()
    {
        Result = (CompareResult)c.Result,
        Target = (CompareTarget)c.Target,
        Key = c.Key.ToByteArray(),
        RangeEnd = c.RangeEnd.ToByteArray(),
        Number = c.Target switch
        {
            Etcd.Compare.Types.CompareTarget.Version => c.Version,
            Etcd.Compare.Types.CompareTarget.Create => c.CreateRevision,
            Etcd.Compare.Types.CompareTarget.Mod => c.ModRevision,
            Etcd.Compare.Types.CompareTarget.Lease => c.Lease,
            _ => 0,
        },
        Value = c.Value.ToByteArray(),
    };

    public static RequestOp ToStore(Etcd.RequestOp op) => op.RequestCase switch
    {
        Etcd.RequestOp.RequestOneofCase.RequestRange => new RequestOp { Range = ToStore(op.RequestRange) },
        Etcd.RequestOp.RequestOneofCase.RequestPut => new RequestOp { Put = ToStore(op.RequestPut) },
        Etcd.RequestOp.RequestOneofCase.RequestDeleteRange => new RequestOp { DeleteRange = ToStore(op.RequestDeleteRange) },
        Etcd.RequestOp.RequestOneofCase.RequestTxn => new RequestOp { Txn = ToStore(op.RequestTxn) },
        // etcd rejects an empty op the same way: nothing to apply.
        _ => throw new Store.StoreException(Store.StoreError.KeyNotProvided),
    };

    public static Mvccpb.KeyValue ToProto(KeyValue kv) => new()
    {
        Key = UnsafeByteOperations.UnsafeWrap(kv.Key),
        Value = UnsafeByteOperations.UnsafeWrap(kv.Value),
        CreateRevision = kv.CreateRevision,
        ModRevision = kv.ModRevision,
        Version = kv.Version,
        Lease = kv.Lease,
    };

    public static Mvccpb.Event ToProto(WatchEvent e)
    {
        Mvccpb.Event proto = new()
        {
            Type = e.Type == WatchEventType.Put ? Mvccpb.Event.Types.EventType.Put : Mvccpb.Event.Types.EventType.Delete,
            Kv = ToProto(e.Kv),
        };
        if (e.PrevKv is not null)
        {
            proto.PrevKv = ToProto(e.PrevKv);
        }

        return proto;
    }

    public static Etcd.RangeResponse ToProto(RangeResult r, NodeContext node)
    {
        Etcd.RangeResponse response = new() { Header = node.Header(r.Revision), More = r.More, Count = r.Count };
        foreach (KeyValue kv in r.Kvs)
        {
            response.Kvs.Add(ToProto(kv));
        }

        return response;
    }

    public static Etcd.PutResponse ToProto(PutResult r, NodeContext node)
    {
        Etcd.PutResponse response = new() { Header = node.Header(r.Revision) };
        if (r.PrevKv is not null)
        {
            response.PrevKv = ToProto(r.PrevKv);
        }

        return response;
    }

    public static Etcd.DeleteRangeResponse ToProto(DeleteRangeResult r, NodeContext node)
    {
        Etcd.DeleteRangeResponse response = new() { Header = node.Header(r.Revision), Deleted = r.Deleted };
        foreach (KeyValue kv in r.PrevKvs)
        {
            response.PrevKvs.Add(ToProto(kv));
        }

        return response;
    }

    /// <summary>
    /// A txn response, shaped as etcd's (txn.go newTxnResp/executeTxn): only the top-level header is
    /// filled with cluster, member and term; each op's header carries just the revision that op saw
    /// (a read before the txn's first write sees the revision before it, one after sees the new
    /// one); a nested txn's header is empty.
    /// </summary>
    public static Etcd.TxnResponse ToProto(TxnResult r, NodeContext node) => ToProto(r, node, node.Header(r.Revision));

    private static Etcd.TxnResponse ToProto(TxnResult r, NodeContext node, Etcd.ResponseHeader header)
    {
        Etcd.TxnResponse response = new() { Header = header, Succeeded = r.Succeeded };
        foreach (OpResult op in r.Responses)
        {
            Etcd.ResponseOp proto = new();
            switch (op)
            {
                case { Range: { } range }:
                    proto.ResponseRange = ToProto(range, node);
                    proto.ResponseRange.Header = new Etcd.ResponseHeader { Revision = range.Revision };
                    break;
                case { Put: { } put }:
                    proto.ResponsePut = ToProto(put, node);
                    proto.ResponsePut.Header = new Etcd.ResponseHeader { Revision = put.Revision };
                    break;
                case { DeleteRange: { } delete }:
                    proto.ResponseDeleteRange = ToProto(delete, node);
                    proto.ResponseDeleteRange.Header = new Etcd.ResponseHeader { Revision = delete.Revision };
                    break;
                case { Txn: { } txn }:
                    proto.ResponseTxn = ToProto(txn, node, new Etcd.ResponseHeader());
                    break;
            }

            response.Responses.Add(proto);
        }

        return response;
    }
}
