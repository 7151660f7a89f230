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

    public async ValueTask DisposeAsync() => await Backbone(["lab", "down", .. LabFlags]);
}
