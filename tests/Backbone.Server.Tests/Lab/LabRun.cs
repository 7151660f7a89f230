using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Lab;

/// <summary>
/// One test's lab: its own prefix, /24 and data directory, so parallel or aborted runs never
/// collide; `lab down` on dispose, whatever the test left.
/// </summary>
internal sealed class LabRun : IAsyncDisposable
{
    private LabRun(string prefix, int subnetOctet, string dataDir)
    {
        Prefix = prefix;
        SubnetOctet = subnetOctet;
        DataDir = dataDir;
    }

    public string Prefix { get; }

    public int SubnetOctet { get; }

    public string DataDir { get; }

    public string Subnet => $"172.31.{SubnetOctet}.0/24";

    /// <summary>Host <paramref name="index"/>'s underlay address (its VTEP).</summary>
    public string HostAddress(int index) => $"172.31.{SubnetOctet}.{index}";

    /// <summary>The managers' client endpoints, for --endpoints.</summary>
    public string Endpoints => string.Join(',', Enumerable.Range(1, 3).Select(i => $"{HostAddress(i)}:2379"));

    /// <summary>The prefix of host <paramref name="index"/>'s agent: its sandboxes are <c>{this}sb-VNI</c>, its containers <c>{this}c-ID</c>.</summary>
    public string AgentPrefix(int index) => $"{Prefix}h{index}-";

    public string[] LabFlags => ["--prefix", Prefix, "--data-dir", DataDir];

    public static async Task<LabRun> UpAsync(int hosts)
    {
        string prefix = $"l{Random.Shared.Next(0x10000):x4}-";
        var run = new LabRun(prefix, Random.Shared.Next(100, 250), Path.Combine(Path.GetTempPath(), "bb-lab-test-" + prefix.TrimEnd('-')));
        Tool.Result up = await Backbone(["lab", "up", "--hosts", hosts.ToString(System.Globalization.CultureInfo.InvariantCulture), "--subnet", run.Subnet, .. run.LabFlags]);
        if (up.ExitCode != 0)
        {
            await run.DisposeAsync();
            throw new InvalidOperationException($"lab up failed:\n{up.Stdout}{up.Stderr}");
        }

        return run;
    }

    /// <summary>The CLI against the lab's managers.</summary>
    public Task<Tool.Result> CliAsync(params string[] args) => Backbone(["--endpoints", Endpoints, .. args]);

    public static Task<Tool.Result> Backbone(string[] args) => Tool.RunAsync(NodeProcess.Script(), args, timeout: TimeSpan.FromSeconds(300));

    /// <summary>
    /// Starts host <paramref name="host"/>'s node again (after a kill) with `--data-dir` alone, as
    /// an operator would: its cluster settings and the flags `lab up` gave it are kept there. It
    /// appends to its log; <paramref name="crashAt"/> sets the agent's crash point
    /// (<c>BACKBONE_AGENT_CRASH_AT_STEP</c>). nsenter enters the network namespace only, as `lab up`
    /// does: `ip netns exec` would also give the node a mount namespace of its own, where the
    /// namespaces its agent names (bind mounts under /run/netns) would die with it.
    /// </summary>
    public async Task StartNodeAsync(int host, string? crashAt = null)
    {
        string data = Path.Combine(DataDir, $"host-{host}");
        const string Variable = global::Backbone.Overlay.Kernel.KernelHost.CrashAtStepVariable;
        string environment = crashAt is null ? "" : $"env {Variable}={crashAt} ";
        Tool.Result started = await Tool.RunAsync("sh", ["-c", $"nsenter --net=/run/netns/{Prefix}host-{host} setsid {environment}{NodeProcess.Script()} node --data-dir {data} >>{NodeLog(host)} 2>&1 </dev/null &"]);
        Assert.True(started.ExitCode == 0, started.All);
    }

    /// <summary>Sends <paramref name="signal"/> to host <paramref name="host"/>'s node, the one process of its namespace.</summary>
    public async Task SignalNodeAsync(int host, string signal)
    {
        string pid = Assert.Single(await NodePidsAsync(host));
        Assert.Equal(0, (await Tool.RunAsync("kill", [$"-{signal}", pid])).ExitCode);
    }

    /// <summary>The processes in host <paramref name="host"/>'s namespace: its node's, or none while it is down (tasks run in their containers' namespaces).</summary>
    public async Task<string[]> NodePidsAsync(int host) =>
        (await Tool.RunAsync("ip", ["netns", "pids", $"{Prefix}host-{host}"])).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public string NodeLog(int host) => Path.Combine(DataDir, $"host-{host}", "node.log");

    public async ValueTask DisposeAsync() => await Backbone(["lab", "down", .. LabFlags]);
}
