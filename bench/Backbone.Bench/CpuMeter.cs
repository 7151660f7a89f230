using System.Diagnostics;

namespace Backbone.Bench;

/// <summary>
/// CPU used by the servers under test (when their pids are known: one, or every member of a
/// cluster, summed) and by this generator between <see cref="Start"/> and <see cref="Stop"/>: on
/// 2 shared cores the generator's share tells whether the servers or the client were the limit.
/// </summary>
public sealed class CpuMeter(IReadOnlyList<int> serverPids)
{
    private double serverStart;
    private double clientStart;
    private long wallStart;

    public double ServerSeconds { get; private set; } = double.NaN;

    public double ClientSeconds { get; private set; }

    public double WallSeconds { get; private set; }

    public void Start()
    {
        serverStart = ReadServerSeconds();
        clientStart = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        wallStart = Stopwatch.GetTimestamp();
    }

    public void Stop()
    {
        ServerSeconds = ReadServerSeconds() - serverStart;
        ClientSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - clientStart;
        WallSeconds = Stopwatch.GetElapsedTime(wallStart).TotalSeconds;
    }

    /// <summary>Adds server_cpu_us_per_op, server_cpu_pct and client_cpu_pct (100 = one core busy).</summary>
    public void AddTo(ResultLine line, long operations)
    {
        if (serverPids.Count > 0)
        {
            line.Add("server_cpu_us_per_op", operations > 0 ? ServerSeconds * 1e6 / operations : double.NaN, "0.0");
            line.Add("server_cpu_pct", ServerSeconds * 100 / WallSeconds, "0");
        }

        line.Add("client_cpu_pct", ClientSeconds * 100 / WallSeconds, "0");
    }

    // NaN without pids; throws when one of the processes is gone (the run is then meaningless).
    private double ReadServerSeconds()
    {
        if (serverPids.Count == 0)
        {
            return double.NaN;
        }

        double seconds = 0;
        foreach (int pid in serverPids)
        {
            seconds += ProcessCpu.ReadSeconds(pid);
        }

        return seconds;
    }
}
