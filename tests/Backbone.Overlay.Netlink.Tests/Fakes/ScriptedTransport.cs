using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests.Fakes;

/// <summary>
/// A fake kernel: for the n-th request (0-based) with sequence number s, <c>answer(n, s)</c>
/// gives the datagrams it replies with, delivered one per receive. Receiving with nothing
/// queued is a timeout, as a silent kernel would be.
/// </summary>
internal sealed class ScriptedTransport(Func<int, uint, IEnumerable<byte[]>> answer) : INetlinkTransport
{
    private readonly Queue<byte[]> _pending = new();
    private int _messages;

    public List<byte[]> Sent { get; } = [];

    public bool Disposed { get; private set; }

    /// <summary>
    /// False: <c>answer</c> once per datagram, with its first message's sequence number. True:
    /// once per message of it (n counting messages), as the kernel acks each of a batch.
    /// </summary>
    public bool AnswerEveryMessage { get; init; }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        Sent.Add(datagram.ToArray());
        if (!AnswerEveryMessage)
        {
            Enqueue(answer(Sent.Count - 1, Replies.SequenceOf(datagram)));
            return;
        }

        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage message))
        {
            Enqueue(answer(_messages++, message.Sequence));
        }
    }

    private void Enqueue(IEnumerable<byte[]> replies)
    {
        foreach (byte[] reply in replies)
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
