using System.Net;
using Backbone.Overlay.Membership.Wire;

namespace Backbone.Overlay.Membership.Protocol;

/// <summary>What each received message does.</summary>
internal sealed partial class DetectorCore
{
    /// <summary>
    /// Handles one received message. Returns the reply to send back over the same channel (the ack
    /// to a ping), or null. Bytes that fail authentication or parsing are counted and dropped;
    /// nothing here throws for any input.
    /// </summary>
    /// <param name="from">The datagram's source, or the TCP connection's remote end: where a reply goes, never an identity.</param>
    public byte[]? Receive(ReadOnlySpan<byte> bytes, IPEndPoint from, ProbeChannel via)
    {
        DecodeResult result = codec.TryDecode(bytes, out ProbeMessage message);
        if (result != DecodeResult.Ok)
        {
            counters.Increment(result == DecodeResult.BadMac ? MembershipCounter.DroppedBadMac : MembershipCounter.DroppedMalformed);
            return null;
        }

        if (message.To != self)
        {
            counters.Increment(MembershipCounter.DroppedMisdirected);
            return null;
        }

        counters.Increment(MembershipCounter.Received);
        switch (message.Type)
        {
            case MessageType.Ping:
                return OnPing(message);
            case MessageType.PingReq when via == ProbeChannel.Udp:
                OnPingReq(message, from);
                return null;
            case MessageType.Ack:
                OnAck(message, via);
                return null;
            default:
                counters.Increment(MembershipCounter.DroppedMalformed); // a ping-req over TCP: not part of the protocol
                return null;
        }
    }

    /// <summary>Anyone holding the key gets an answer, member or not yet: the store's list may lag on our side.</summary>
    private byte[] OnPing(in ProbeMessage ping)
    {
        ProbeIfDoubted(ping.From);
        return codec.Encode(ProbeMessage.Ack(ping.Nonce, self, ping.From, self));
    }

    private void OnPingReq(in ProbeMessage request, IPEndPoint from)
    {
        ProbeIfDoubted(request.From);
        MemberAddress target = request.Target!;
        if (target.NodeId == self)
        {
            // Asked to ping ourselves (the requester's list is odd): we are the answer.
            Send(from, ProbeMessage.Ack(request.Nonce, self, request.From, self));
            return;
        }

        if (relays.Count >= options.MaxRelays)
        {
            counters.Increment(MembershipCounter.DroppedRelayOverflow);
            return;
        }

        ulong nonce = nextNonce++;
        relays.Add(nonce, new Relay(request.From, from, request.Nonce, target.NodeId, Now + options.ProtocolPeriod));
        Send(target.EndPoint, ProbeMessage.Ping(nonce, self, target.NodeId));
        counters.Increment(MembershipCounter.RelayedPings);
    }

    /// <summary>
    /// An ack counts only if it echoes the nonce of a probe of ours still in flight, so an old
    /// ack replayed (or a late one) cannot make a member alive; the nonce was never used before.
    /// </summary>
    private void OnAck(in ProbeMessage ack, ProbeChannel via)
    {
        if (rounds.TryGetValue(ack.Nonce, out ProbeRound? round))
        {
            string target = round.Target.NodeId;
            bool direct = ack.From == target;
            if (ack.Subject != target || !(direct || round.Helpers.Contains(ack.From)))
            {
                counters.Increment(MembershipCounter.DroppedUnmatchedAck);
                return;
            }

            if (round.Answered)
            {
                return; // the UDP and the TCP ack, or two helpers: one answer is enough
            }

            round.Answered = true;
            counters.Increment(!direct ? MembershipCounter.IndirectAcks : via == ProbeChannel.Tcp ? MembershipCounter.TcpAcks : MembershipCounter.DirectAcks);
            MarkAlive(round.Target, !direct ? $"ack relayed by {ack.From}" : via == ProbeChannel.Tcp ? "ack to a TCP ping" : "ack to a ping");
            return;
        }

        if (relays.TryGetValue(ack.Nonce, out Relay? relay) && ack.From == relay.TargetId && ack.Subject == relay.TargetId)
        {
            relays.Remove(ack.Nonce);
            Send(relay.RequesterEndPoint, ProbeMessage.Ack(relay.RequesterNonce, self, relay.RequesterId, relay.TargetId));

            // It answered a fresh nonce of ours: as good as a direct ack for our own view of it.
            if (members.TryGetValue(relay.TargetId, out MemberEntry? member))
            {
                MarkAlive(member, $"answered a ping relayed for {relay.RequesterId}");
            }

            return;
        }

        counters.Increment(MembershipCounter.DroppedUnmatchedAck);
    }

    /// <summary>
    /// A message from a member we do not believe alive makes us probe it now rather than at its
    /// turn: a new round, or, when a round is in flight (its ping may have gone to the member
    /// before it restarted), that round's ping once more. The message itself proves nothing (it
    /// could be a replay); the ack to our nonce does. At most two pings per round bound how often
    /// this can be provoked.
    /// </summary>
    private void ProbeIfDoubted(string nodeId)
    {
        if (!members.TryGetValue(nodeId, out MemberEntry? member) || member.State == MemberState.Alive)
        {
            return;
        }

        if (member.Round is null)
        {
            StartRound(member, Now);
        }
        else if (!member.Round.Repinged && !member.Round.Answered)
        {
            member.Round.Repinged = true;
            Send(member.EndPoint, ProbeMessage.Ping(member.Round.Nonce, self, member.NodeId));
        }
    }
}
