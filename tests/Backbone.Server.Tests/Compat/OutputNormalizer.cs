using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Backbone.Server.Tests.Compat;

/// <summary>
/// Rewrites one server's etcdctl output so that only what a client may rely on is compared.
/// Everything replaced here differs between two correct servers (or two runs of one):
/// <list type="bullet">
/// <item>cluster_id, member_id, leader: random or derived from URLs; raft_term, raftTerm,
/// raftIndex, raftAppliedIndex: etcd counts raft entries (elections, member and version
/// entries), Backbone its own log;</item>
/// <item>lease ids: chosen by the server (etcd from member id and clock); each captured id becomes
/// its script name, in both the hex form etcdctl prints and the decimal form of JSON;</item>
/// <item>the endpoint (a free port) and endpoint health's "took = ...";</item>
/// <item>endpoint status' version (3.4.23 against the API version Backbone announces), dbSize and
/// dbSizeInUse (bbolt pages against FASTER's log);</item>
/// <item>the remaining TTL of a lease when it is 1 to <see cref="RemainingSlackSecondsMax"/> s under
/// the granted TTL: it counts wall-clock time since the grant, and on a loaded machine more than a
/// second can pass between grant and query. The full TTL (what rounding up would answer just
/// after a grant) and -1 (no such lease) stay as they are;</item>
/// <item>the order of a lease's attached keys (etcd keeps them in a Go map);</item>
/// <item>etcdctl's own zap log lines on stderr ("retrying of unary invoker failed"): their ts is
/// the client's clock and their target a random client id; level, msg, attempt and the gRPC
/// error (code and message) are kept.</item>
/// </list>
/// Revisions, versions, create and mod revisions, counts, values and error texts are kept.
/// </summary>
public sealed partial class OutputNormalizer(string endpoint)
{
    private const int RemainingSlackSecondsMax = 10;

    private readonly List<(string Name, long Id)> leases = [];

    public void AddLease(string name, long id) => leases.Add((name, id));

    public string Normalize(string text)
    {
        StringBuilder lines = new();
        foreach (string line in text.Split('\n'))
        {
            lines.Append(line.StartsWith("{\"level\":", StringComparison.Ordinal) ? ClientLogLine(line) : line).Append('\n');
        }

        string normalized = lines.ToString(0, lines.Length - 1).Replace(endpoint, "<endpoint>", StringComparison.Ordinal);
        normalized = ServerIds().Replace(normalized, m => $"\"{m.Groups[1].Value}\":<{m.Groups[1].Value}>");
        normalized = ServerIdFields().Replace(normalized, m => $"\"{m.Groups[1].Value}\" : <{m.Groups[1].Value}>");
        normalized = ServerVersion().Replace(normalized, "\"version\":<version>");
        normalized = HealthTook().Replace(normalized, "took = <duration>");
        normalized = RemainingSimple().Replace(normalized, m => $"TTL({m.Groups[1].Value}s), remaining({Remaining(m.Groups[1].Value, m.Groups[2].Value)}s)");
        normalized = RemainingJson().Replace(normalized, m => $"\"ttl\":{Remaining(m.Groups[2].Value, m.Groups[1].Value)},\"granted-ttl\":{m.Groups[2].Value}");
        normalized = AttachedKeysSimple().Replace(normalized, m => $"attached keys([{string.Join(' ', m.Groups[1].Value.Split(' ').Order(StringComparer.Ordinal))}])");
        normalized = AttachedKeysJson().Replace(normalized, m => $"\"keys\":[{string.Join(',', m.Groups[1].Value.Split(',').Order(StringComparer.Ordinal))}]");
        foreach ((string name, long id) in leases)
        {
            normalized = normalized.Replace(id.ToString("x16", CultureInfo.InvariantCulture), $"<{name}>", StringComparison.Ordinal);
            normalized = Regex.Replace(normalized, $@"\b{id.ToString(CultureInfo.InvariantCulture)}\b", $"<{name}>");
        }

        return normalized;
    }

    private static string Remaining(string grantedText, string remainingText)
    {
        long granted = long.Parse(grantedText, CultureInfo.InvariantCulture);
        long remaining = long.Parse(remainingText, CultureInfo.InvariantCulture);
        return remaining >= Math.Max(0, granted - RemainingSlackSecondsMax) && remaining < granted ? "<under granted>" : remainingText;
    }

    private static string ClientLogLine(string line)
    {
        try
        {
            using JsonDocument log = JsonDocument.Parse(line);
            JsonElement root = log.RootElement;
            string Field(string name) => root.TryGetProperty(name, out JsonElement value) ? value.ToString() : "";
            return $"[client log] {Field("level")} {Field("msg")} (attempt {Field("attempt")}): {Field("error")}";
        }
        catch (JsonException)
        {
            return line;
        }
    }

    [GeneratedRegex("\"(cluster_id|member_id|raft_term|leader|raftIndex|raftTerm|raftAppliedIndex|dbSize|dbSizeInUse)\":\\d+")]
    private static partial Regex ServerIds();

    /// <summary>The same in etcdctl's <c>-w fields</c> output.</summary>
    [GeneratedRegex("\"(ClusterID|MemberID|RaftTerm)\" : \\d+")]
    private static partial Regex ServerIdFields();

    /// <summary>Only a string-valued version: the server's release (a key's version is a number).</summary>
    [GeneratedRegex("\"version\":\"[^\"]*\"")]
    private static partial Regex ServerVersion();

    [GeneratedRegex(@"TTL\((\d+)s\), remaining\((-?\d+)s\)")]
    private static partial Regex RemainingSimple();

    [GeneratedRegex("\"ttl\":(-?\\d+),\"granted-ttl\":(\\d+)")]
    private static partial Regex RemainingJson();

    [GeneratedRegex(@"attached keys\(\[([^\]]*)\]\)")]
    private static partial Regex AttachedKeysSimple();

    [GeneratedRegex("\"keys\":\\[([^\\]]*)\\]")]
    private static partial Regex AttachedKeysJson();

    [GeneratedRegex(@"took = \S+")]
    private static partial Regex HealthTook();
}
