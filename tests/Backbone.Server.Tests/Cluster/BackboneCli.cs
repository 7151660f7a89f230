using System.Text.Json;
using System.Text.RegularExpressions;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// The real <c>./backbone</c> client verbs against a cluster (<c>swarm join-token</c>, <c>node ls|rm</c>),
/// as an operator types them; every run is written to the test's output.
/// </summary>
public static partial class BackboneCli
{
    /// <summary>Includes the script's Release build of the CLI when sources changed.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    public static async Task<Tool.Result> RunAsync(ITestOutputHelper output, string endpoints, params string[] args)
    {
        Tool.Result result = await Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoints, .. args], timeout: Timeout);
        output.WriteLine($"$ backbone --endpoints {endpoints} {string.Join(' ', args)}   (exit {result.ExitCode})\n{result.Stdout}{result.Stderr}");
        return result;
    }

    /// <summary><c>backbone swarm join-token ROLE</c> (with <paramref name="flags"/>, such as --cacert): exit 0 and exactly one line, the token.</summary>
    public static async Task<string> JoinTokenAsync(ITestOutputHelper output, string endpoints, string role, params string[] flags)
    {
        Tool.Result printed = await RunAsync(output, endpoints, [.. flags, "swarm", "join-token", role]);
        Assert.True(printed.ExitCode == 0, $"join-token {role} failed: {printed.All}");
        Assert.Equal("", printed.Stderr);
        Match token = WholeToken().Match(printed.Stdout);
        Assert.True(token.Success, $"join-token {role} should print one BBTKN-1-<64 hex>-<25 [a-z0-9]> line; it printed:\n{printed.Stdout}");
        return token.Groups[1].Value;
    }

    /// <summary>One manager as <c>node ls</c> shows it.</summary>
    public sealed record NodeRow(string Id, string Name, string Status, string Role, long RaftIndex, string Client, string Peer);

    /// <summary><c>backbone node ls</c> (the table), parsed; fails unless it exits 0 with the header line first.</summary>
    public static async Task<IReadOnlyList<NodeRow>> NodeLsTableAsync(ITestOutputHelper output, string endpoints)
    {
        Tool.Result ls = await RunAsync(output, endpoints, "node", "ls");
        Assert.True(ls.ExitCode == 0, $"node ls failed: {ls.All}");
        string[] lines = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 1, "node ls printed nothing");
        Assert.Equal("ID NAME STATUS ROLE RAFT INDEX CLIENT PEER", string.Join(' ', lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        List<NodeRow> rows = [];
        foreach (string line in lines.Skip(1))
        {
            // Fixed-width columns (an empty one, such as an unknown client URL, stays in place).
            Match row = TableRow().Match(line);
            Assert.True(row.Success, $"node ls row does not fit the table's columns: '{line}'");
            string Cell(int i) => row.Groups[i].Value.Trim();
            rows.Add(new NodeRow(Cell(1), Cell(2), Cell(3), Cell(4), long.Parse(Cell(5), System.Globalization.CultureInfo.InvariantCulture), Cell(6), Cell(7)));
        }

        return rows;
    }

    /// <summary><c>backbone node ls --format json</c> (with <paramref name="flags"/>, such as --cacert), parsed.</summary>
    public static async Task<IReadOnlyList<NodeRow>> NodeLsJsonAsync(ITestOutputHelper output, string endpoints, params string[] flags)
    {
        Tool.Result ls = await RunAsync(output, endpoints, [.. flags, "node", "ls", "--format", "json"]);
        Assert.True(ls.ExitCode == 0, $"node ls --format json failed: {ls.All}");
        NodeRow[]? rows = JsonSerializer.Deserialize<NodeRow[]>(ls.Stdout);
        Assert.True(rows is not null, "node ls --format json printed null");
        return rows;
    }

    [GeneratedRegex(@"\A(BBTKN-1-[0-9a-f]{64}-[a-z0-9]{25})\n\z")]
    private static partial Regex WholeToken();

    /// <summary>ID 16, NAME 12, STATUS 11, ROLE 9, RAFT INDEX 10 (right-aligned), CLIENT 24, PEER: two spaces apart.</summary>
    [GeneratedRegex(@"\A(.{16})  (.{12})  (.{11})  (.{9})  ( {0,9}\d+)  (.{24})  (.*)\z")]
    private static partial Regex TableRow();
}
