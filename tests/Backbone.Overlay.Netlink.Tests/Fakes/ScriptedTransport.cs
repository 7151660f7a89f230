namespace Backbone.Overlay.Netlink.Tests.Fakes;

/// <summary>
/// A fake kernel: for the n-th request (0-based) with sequence number s, <c>answer(n, s)</c>
/// gives the datagrams it replies with, delivered one per receive. Receiving with nothing
/// queued is a timeout, as a silent kernel would be.
/// </summary>
internal sealed class ScriptedTransport(Func<int, uint, IEnumerable<byte[]>> answer) : INetlinkTransport
{
    private readonly Queue<byte[]> _pending = new();

    public List<byte[]> Sent { get; } = [];

    public bool Disposed { get; private set; }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        Sent.Add(datagram.ToArray());
        foreach (byte[] reply in answer(Sent.Count - 1, Replies.SequenceOf(datagram)))
        {
            _pending.Enqueue(reply);
        }
    }

    public int Receive(Span<byte> buffer)
    {
        if (!_pending.TryDequeue(out byte[]? datagram))
        {
            throw new TimeoutException("the scripted kernel has nothing more to say");
        }

        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public void Dispose() => Disposed = true;
}
