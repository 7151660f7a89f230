using System.Text;

namespace Backbone.Control;

/// <summary>
/// The key schema of ARCHITECTURE.md, in one place. Every value is a MessagePack record with a
/// schema version; names and VNIs are claimed by their own keys so that a transaction can
/// require them absent (create revision 0).
/// </summary>
public static class ControlKeys
{
    public const string NetworksPrefix = "/bb/networks/";
    public const string NetworkNamesPrefix = "/bb/names/networks/";
    public const string VniPrefix = "/bb/vni/";
    public const string IpamPrefix = "/bb/ipam/";
    public const string EndpointsPrefix = "/bb/endpoints/";
    public const string KeysPrefix = "/bb/keys/";
    public const string ServicesPrefix = "/bb/services/";
    public const string ServiceNamesPrefix = "/bb/names/services/";
    public const string TasksPrefix = "/bb/tasks/";
    public const string NodesPrefix = "/bb/nodes/";

    /// <summary>Each node's view of which other nodes it cannot reach (<c>/bb/reach/&lt;nodeId&gt;</c>, under the reporter's lease).</summary>
    public const string ReachPrefix = "/bb/reach/";

    /// <summary>Standalone containers (`container run`), their names, and how they run as their agents report.</summary>
    public const string ContainersPrefix = "/bb/containers/";
    public const string ContainerNamesPrefix = "/bb/names/containers/";
    public const string ContainerStatusPrefix = "/bb/containerstatus/";

    /// <summary>How tasks run, as their agents report (<c>/bb/taskstatus/&lt;svcId&gt;/&lt;taskId&gt;</c>).</summary>
    public const string TaskStatusPrefix = "/bb/taskstatus/";

    /// <summary>Services attached to a network, one key each (<c>/bb/netuse/&lt;netId&gt;/&lt;svcId&gt;</c>): a network with any is in use.</summary>
    public const string NetworkUsePrefix = "/bb/netuse/";

    /// <summary>
    /// Bumped by every network create and remove: a create compares its mod revision with the one
    /// it planned from, so two creates never both pick the same free subnet.
    /// </summary>
    public const string NetworksGuard = "/bb/meta/networks";

    public static byte[] Network(string networkId) => Bytes(NetworksPrefix + networkId);

    public static byte[] NetworkName(string name) => Bytes(NetworkNamesPrefix + name);

    public static byte[] Vni(int vni) => Bytes(VniPrefix + vni.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string NetworkUses(string networkId) => NetworkUsePrefix + networkId + "/";

    public static byte[] NetworkUse(string networkId, string serviceId) => Bytes(NetworkUses(networkId) + serviceId);

    public static byte[] Node(string nodeId) => Bytes(NodesPrefix + nodeId);

    public static byte[] Task(string serviceId, int slot) => Bytes(Tasks(serviceId) + slot.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static byte[] Service(string serviceId) => Bytes(ServicesPrefix + serviceId);

    public static byte[] ServiceName(string name) => Bytes(ServiceNamesPrefix + name);

    /// <summary>The prefix of a service's tasks, <c>/bb/tasks/&lt;svcId&gt;/&lt;slot&gt;</c>.</summary>
    public static string Reach(string reporterId) => ReachPrefix + reporterId;

    public static string Tasks(string serviceId) => TasksPrefix + serviceId + "/";

    public static byte[] KeyRing(string networkId) => Bytes(KeysPrefix + networkId);

    public static string Ipam(string networkId) => IpamPrefix + networkId + "/";

    /// <summary>One allocated address, <c>/bb/ipam/&lt;netId&gt;/&lt;ip&gt;</c>; its value is the owner.</summary>
    public static byte[] Address(string networkId, string ip) => Bytes(Ipam(networkId) + ip);

    public static string Endpoints(string networkId) => EndpointsPrefix + networkId + "/";

    public static byte[] Endpoint(string networkId, string endpointId) => Bytes(Endpoints(networkId) + endpointId);

    public static byte[] Container(string containerId) => Bytes(ContainersPrefix + containerId);

    public static byte[] ContainerName(string name) => Bytes(ContainerNamesPrefix + name);

    public static string ContainerStatus(string containerId) => ContainerStatusPrefix + containerId;

    public static string TaskStatuses(string serviceId) => TaskStatusPrefix + serviceId + "/";

    /// <summary>A task's status, <c>/bb/taskstatus/&lt;svcId&gt;/&lt;taskId&gt;</c>.</summary>
    public static string TaskStatus(string serviceId, string taskId) => TaskStatuses(serviceId) + taskId;

    public static byte[] Bytes(string key) => Encoding.UTF8.GetBytes(key);

    /// <summary>A Range over every key under <paramref name="prefix"/>.</summary>
    public static Etcdserverpb.RangeRequest PrefixRange(string prefix) =>
        new() { Key = Google.Protobuf.ByteString.CopyFromUtf8(prefix), RangeEnd = Google.Protobuf.ByteString.CopyFrom(PrefixEnd(prefix)) };

    /// <summary>One Txn reading every key under each prefix, all at one revision (response i answers prefix i).</summary>
    public static Etcdserverpb.TxnRequest ReadPrefixes(params string[] prefixes)
    {
        var read = new Etcdserverpb.TxnRequest();
        foreach (string prefix in prefixes)
        {
            read.Success.Add(new Etcdserverpb.RequestOp { RequestRange = PrefixRange(prefix) });
        }

        return read;
    }

    /// <summary>The end of the range of every key that starts with <paramref name="prefix"/> (etcd's prefix rule).</summary>
    public static byte[] PrefixEnd(string prefix)
    {
        byte[] end = Bytes(prefix);
        end[^1]++; // prefixes here end in '/', never 0xff
        return end;
    }
}
