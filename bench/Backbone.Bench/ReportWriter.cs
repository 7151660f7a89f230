using System.Globalization;
using System.Text;

namespace Backbone.Bench;

/// <summary>
/// Turns two files of <c>RESULT</c> lines (Backbone's and etcd's, same labels) into markdown
/// tables side by side with the ratio Backbone / etcd. Rows follow the first file's order.
/// </summary>
/// <remarks>
/// A label that appears more than once (bench/run-cluster.sh with <c>BENCH_ROUNDS</c>: one line a
/// round, each tagged <c>round=N</c>) is merged by <see cref="RoundStats"/>: medians in the value
/// cells, and in the ratio column the median and range of the per-round ratios.
/// </remarks>
public static class ReportWriter
{
    private static readonly (string Key, string Name)[] CheckPerfRows =
    [
        ("throughput_wps", "throughput, writes/s"),
        ("slowest_s", "slowest request, s"),
        ("stddev_s", "stddev, s"),
        ("result", "result"),
    ];

    public static string Write(string backbonePath, string etcdPath)
    {
        Dictionary<string, List<Dictionary<string, string>>> backboneRounds = ByLabel(backbonePath, out List<string> labels);
        Dictionary<string, List<Dictionary<string, string>>> etcdRounds = ByLabel(etcdPath, out List<string> etcdLabels);
        Dictionary<string, Dictionary<string, string>> backbone = backboneRounds.ToDictionary(p => p.Key, p => RoundStats.Merge(p.Value), StringComparer.Ordinal);
        Dictionary<string, Dictionary<string, string>> etcd = etcdRounds.ToDictionary(p => p.Key, p => RoundStats.Merge(p.Value), StringComparer.Ordinal);
        foreach (string label in etcdLabels)
        {
            if (!backbone.ContainsKey(label))
            {
                labels.Add(label);
            }
        }

        var closed = new StringBuilder();
        var paced = new StringBuilder();
        var watch = new StringBuilder();
        var perf = new StringBuilder();
        var failover = new StringBuilder();
        foreach (string label in labels)
        {
            // A point that failed on one server has no line there: its cells show "–".
            Dictionary<string, string> b = backbone.GetValueOrDefault(label) ?? [];
            Dictionary<string, string> e = etcd.GetValueOrDefault(label) ?? [];
            Dictionary<string, string> any = b.Count > 0 ? b : e;
            List<Dictionary<string, string>> bRounds = backboneRounds.GetValueOrDefault(label) ?? [];
            List<Dictionary<string, string>> eRounds = etcdRounds.GetValueOrDefault(label) ?? [];
            string op = Get(any, "op");
            if (op == "check-perf")
            {
                foreach ((string key, string name) in CheckPerfRows)
                {
                    perf.Append(Row($"load {Get(any, "load")}: {name}", Get(b, key), Get(e, key)));
                }
            }
            else if (op == "watch")
            {
                watch.Append(Row(
                    $"{Get(any, "watchers")} watchers ({(Get(any, "scope") == "per-key" ? "one key each" : "all on one prefix")}), {Get(any, "rate")} writes/s asked",
                    $"{Get(b, "writes_per_s")} / {Get(e, "writes_per_s")}",
                    $"{Get(b, "events_per_s")} / {Get(e, "events_per_s")}",
                    $"{Get(b, "delivered")} / {Get(b, "expected")}",
                    $"{Get(e, "delivered")} / {Get(e, "expected")}",
                    $"{Get(b, "p50_ms")} / {Get(b, "p99_ms")}",
                    $"{Get(e, "p50_ms")} / {Get(e, "p99_ms")}",
                    Ratio(b, e, "p99_ms"),
                    $"{Get(b, "after_ack_p50_ms")} / {Get(b, "after_ack_p99_ms")}",
                    $"{Get(e, "after_ack_p50_ms")} / {Get(e, "after_ack_p99_ms")}",
                    $"{Get(b, "server_cpu_us_per_op")} / {Get(e, "server_cpu_us_per_op")}",
                    $"{Get(b, "errors")} / {Get(e, "errors")}"));
            }
            else if (op == "failover")
            {
                failover.Append(Row(
                    $"{label}: {Get(any, "clients")} writers @ {Get(any, "rate")}/s over {Get(any, "endpoints")} endpoints",
                    Gap(b),
                    Gap(e),
                    GapRatio(b, e),
                    $"{Get(b, "kill_at_ms")} → {Get(b, "gap_start_ms")} / {Get(e, "kill_at_ms")} → {Get(e, "gap_start_ms")}",
                    $"{Get(b, "ops_per_s")} / {Get(e, "ops_per_s")}",
                    $"{Get(b, "p50_ms")} / {Get(b, "max_ms")}",
                    $"{Get(e, "p50_ms")} / {Get(e, "max_ms")}",
                    $"{Get(b, "errors")} ({Get(b, "timeouts")}) / {Get(e, "errors")} ({Get(e, "timeouts")})"));
            }
            else if (RoundStats.Number(any, "rate") > 0)
            {
                paced.Append(Row(
                    $"{op} @ {Get(any, "rate")}/s, {Get(any, "clients")} clients",
                    Get(b, "server_cpu_us_per_op"),
                    Get(e, "server_cpu_us_per_op"),
                    RoundStats.Ratio(bRounds, eRounds, "server_cpu_us_per_op") ?? Ratio(b, e, "server_cpu_us_per_op"),
                    $"{Get(b, "ops_per_s")} / {Get(e, "ops_per_s")}",
                    $"{Get(b, "p50_ms")} / {Get(b, "p99_ms")}",
                    $"{Get(e, "p50_ms")} / {Get(e, "p99_ms")}",
                    $"{Get(b, "errors")} / {Get(e, "errors")}"));
            }
            else
            {
                closed.Append(Row(
                    $"{op}, {Get(any, "clients")} clients / {Get(any, "connections")} conns",
                    Get(b, "ops_per_s"),
                    Get(e, "ops_per_s"),
                    RoundStats.Ratio(bRounds, eRounds, "ops_per_s") ?? Ratio(b, e, "ops_per_s"),
                    $"{Get(b, "p50_ms")} / {Get(b, "p99_ms")}",
                    $"{Get(e, "p50_ms")} / {Get(e, "p99_ms")}",
                    $"{Get(b, "server_cpu_pct")} / {Get(e, "server_cpu_pct")}",
                    $"{Get(b, "client_cpu_pct")} / {Get(e, "client_cpu_pct")}",
                    $"{Get(b, "errors")} / {Get(e, "errors")}"));
            }
        }

        var md = new StringBuilder();
        Section(md, "Throughput, closed loop (ratio = Backbone / etcd, higher is better)", closed,
            "test", "Backbone ops/s", "etcd ops/s", "ratio", "Backbone p50 / p99 ms", "etcd p50 / p99 ms", "server CPU % (B / e)", "client CPU % (B / e)", "errors (B / e)");
        Section(md, "Server CPU per operation at a fixed rate (ratio = Backbone / etcd, lower is better)", paced,
            "test", "Backbone µs/op", "etcd µs/op", "ratio", "achieved ops/s (B / e)", "Backbone p50 / p99 ms", "etcd p50 / p99 ms", "errors (B / e)");
        Section(md, "Watch delivery (write sent → event received, and write acknowledged → event received; ratio of the first p99, lower is better)", watch,
            "test", "writes/s done (B / e)", "events/s delivered (B / e)", "Backbone delivered / expected", "etcd delivered / expected", "Backbone p50 / p99 ms", "etcd p50 / p99 ms", "p99 ratio", "after ack, Backbone p50 / p99 ms", "after ack, etcd p50 / p99 ms", "server CPU µs/event (B / e)", "errors (B / e)");
        Section(md, "Failover: the leader killed (SIGKILL) mid-window; max gap = the longest time no put succeeded anywhere; \"not recovered\": none succeeded after it began, up to the window's end (ratio = Backbone / etcd, lower is better)", failover,
            "test", "Backbone max gap ms", "etcd max gap ms", "ratio", "leader killed → gap starts, ms into the window (B / e)", "puts/s done (B / e)", "Backbone p50 / max ms", "etcd p50 / max ms", "failed attempts (timeouts) B / e");
        Section(md, "`etcdctl check perf` (a paced latency check, not a throughput test)", perf,
            "", "Backbone", "etcd");
        return md.ToString();
    }

    private static void Section(StringBuilder md, string title, StringBuilder rows, params string[] headers)
    {
        if (rows.Length == 0)
        {
            return;
        }

        md.Append("### ").Append(title).Append("\n\n");
        md.Append(Row(headers));
        md.Append('|').Append(string.Concat(Enumerable.Repeat("---|", headers.Length))).Append('\n');
        md.Append(rows).Append('\n');
    }

    // A gap that ran to the window's end is a lower bound: no put succeeded after it began.
    private static string Gap(Dictionary<string, string> row) =>
        Get(row, "recovered") == "false" ? $"≥ {Get(row, "max_gap_ms")} (not recovered)" : Get(row, "max_gap_ms");

    // With a lower bound on one side the ratio is a bound too; with bounds on both it is unknown.
    private static string GapRatio(Dictionary<string, string> b, Dictionary<string, string> e) =>
        (Get(b, "recovered") == "false", Get(e, "recovered") == "false") switch
        {
            (false, false) => Ratio(b, e, "max_gap_ms"),
            (true, false) => "≥ " + Ratio(b, e, "max_gap_ms"),
            (false, true) => "≤ " + Ratio(b, e, "max_gap_ms"),
            (true, true) => "–",
        };

    private static string Row(params string[] cells) => "| " + string.Join(" | ", cells) + " |\n";

    private static string Get(Dictionary<string, string> row, string key) => row.GetValueOrDefault(key, "–");

    private static string Ratio(Dictionary<string, string> b, Dictionary<string, string> e, string key)
    {
        double ratio = RoundStats.Number(b, key) / RoundStats.Number(e, key);
        return double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";
    }

    private static Dictionary<string, List<Dictionary<string, string>>> ByLabel(string path, out List<string> labels)
    {
        labels = [];
        var rows = new Dictionary<string, List<Dictionary<string, string>>>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            if (ResultLine.Parse(line) is Dictionary<string, string> row)
            {
                string label = row.GetValueOrDefault("label") ?? $"#{labels.Count}";
                if (!rows.TryGetValue(label, out List<Dictionary<string, string>>? same))
                {
                    rows[label] = same = [];
                    labels.Add(label);
                }

                same.Add(row);
            }
        }

        return rows;
    }
}
