using System.Globalization;

namespace Backbone.OverlayBench;

/// <summary>
/// One sample, every time in ms from sending the run request (NaN: did not happen). Convergence
/// is <see cref="FirstPacketMs"/> − <see cref="RegisteredMs"/>.
/// </summary>
public sealed record ConvergenceSample(int Index, string Id, string Address, double AcknowledgedMs, double CreatedMs, double RegisteredMs,
    double FirstPacketMs, double FirstSentMs, long FirstSequence)
{
    public const string Header = "index\tid\taddress\tack_ms\tcreated_ms\tregistered_ms\tfirst_sent_ms\tfirst_packet_ms\tconvergence_ms\tsequence";

    public double ConvergenceMs => FirstPacketMs - RegisteredMs;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Index}\t{Id}\t{Address}\t{AcknowledgedMs:0.000}\t{CreatedMs:0.000}\t{RegisteredMs:0.000}\t{FirstSentMs:0.000}\t{FirstPacketMs:0.000}\t{ConvergenceMs:0.000}\t{FirstSequence}");
}
