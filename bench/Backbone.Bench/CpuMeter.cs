using System.Diagnostics;

namespace Backbone.Bench;

/// <summary>
/// CPU used by the server under test (when its pid is known) and by this generator between
/// <see cref="Start"/> and <see cref="Stop"/>: on 2 shared cores the generator's share tells
/// whether the server or the client was the limit.
/// </summary>
public sealed class CpuMeter(int? serverPid)
{
    private double serverStart;
    private double clientStart;
    private long wallStart;

    public double ServerSeconds { get; private set; } = double.NaN;

    public double ClientSeconds { get; private set; }

    public double WallSeconds { get; private set; }

    public void Start()
    {
        serverStart = serverPid is int pid ? ProcessCpu.ReadSeconds(pid) : double.NaN;
        clientStart = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        wallStart = Stopwatch.GetTimestamp();
    }

    public void Stop()
    {
        ServerSeconds = serverPid is int pid ? ProcessCpu.ReadSeconds(pid) - serverStart : double.NaN;
        ClientSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - clientStart;
        WallSeconds = Stopwatch.GetElapsedTime(wallStart).TotalSeconds;
    }

    /// <summary>Adds server_cpu_us_per_op, server_cpu_pct and client_cpu_pct (100 = one core busy).</summary>
    public void AddTo(ResultLine line, long operations)
    {
        if (serverPid is not null)
        {
            line.Add("server_cpu_us_per_op", operations > 0 ? ServerSeconds * 1e6 / operations : double.NaN, "0.0");
            line.Add("server_cpu_pct", ServerSeconds * 100 / WallSeconds, "0");
        }

        line.Add("client_cpu_pct", ClientSeconds * 100 / WallSeconds, "0");
    }
}
