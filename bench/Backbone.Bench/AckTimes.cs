using System.Collections.Concurrent;

namespace Backbone.Bench;

/// <summary>
/// When each acknowledged write of a watch run came back to its writer (Stopwatch ticks, by the
/// write's revision). Receivers' arrivals are matched against it after the run: arrival minus
/// acknowledgement is the watch's own delivery delay, without the write's latency in it.
/// </summary>
public sealed class AckTimes
{
    private readonly ConcurrentDictionary<long, long> byRevision = new();

    public void Record(long revision, long ackTs) => byRevision[revision] = ackTs;

    /// <summary>
    /// Arrival minus acknowledgement in microseconds; 0 when the event beat the response (both
    /// leave the server at about the same time). False when the write was not acknowledged.
    /// </summary>
    public bool TryDelayMicroseconds(long revision, long arrivalTs, out long microseconds)
    {
        if (!byRevision.TryGetValue(revision, out long ackTs))
        {
            microseconds = 0;
            return false;
        }

        microseconds = Math.Max(0, RunWindow.TicksToMicroseconds(arrivalTs - ackTs));
        return true;
    }
}
