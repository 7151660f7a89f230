using System.Globalization;
using System.Runtime.InteropServices;

namespace Backbone.Bench;

/// <summary>
/// CPU time of another process (user + system, all threads) from <c>/proc/PID/stat</c>, in
/// clock ticks of <c>sysconf(_SC_CLK_TCK)</c> (100 per second on Linux, so 10 ms resolution:
/// runs must be long enough that the difference is hundreds of ticks).
/// </summary>
public static partial class ProcessCpu
{
    private const int ScClkTck = 2;

    public static long TicksPerSecond { get; } = ReadTicksPerSecond();

    /// <summary>utime + stime of <paramref name="pid"/> in seconds; throws if the process is gone.</summary>
    public static double ReadSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");

        // Field 2 (comm) is parenthesized and may hold spaces: fields after it start at state (3).
        int close = stat.LastIndexOf(')');
        string[] fields = stat[(close + 2)..].Split(' ');
        long utime = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture);
        long stime = long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return (utime + stime) / (double)TicksPerSecond;
    }

    private static long ReadTicksPerSecond()
    {
        try
        {
            long ticks = Sysconf(ScClkTck);
            return ticks > 0 ? ticks : 100;
        }
        catch (DllNotFoundException)
        {
            return 100;
        }
        catch (EntryPointNotFoundException)
        {
            return 100;
        }
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long Sysconf(int name);
}
