using Backbone.Overlay.Membership.Protocol;

namespace Backbone.Overlay.Membership;

/// <summary>The protocol loop: the only thread that touches the core.</summary>
public sealed partial class FailureDetector
{
    /// <summary>
    /// Each turn: take a new member list, handle what was received (before the deadlines, so acks
    /// that arrived during a stall count before their rounds are judged), tick, send, publish the
    /// snapshot, raise events; then wait for the next input until the core's next deadline. The
    /// deadline comes from the core's <see cref="TimeProvider"/>; the wait itself is the queue's.
    /// </summary>
    private void RunProtocol()
    {
        var sends = new List<Outgoing>();
        var changes = new List<MemberStateChange>();
        long published = -1;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (Interlocked.Exchange(ref pendingMembers, null) is { } members)
                {
                    core.SetMembers(members);
                }

                for (int handled = 0; handled < MaxBatch && inbound.TryTake(out Inbound item); handled++)
                {
                    Handle(item, sends);
                }

                core.Tick();
                core.DrainOutbox(sends);
                core.DrainChanges(changes);
                foreach (Outgoing outgoing in sends)
                {
                    if (outgoing.Channel == ProbeChannel.Udp)
                    {
                        SendUdp(outgoing);
                    }
                    else
                    {
                        StartTcpProbe(outgoing);
                    }
                }

                sends.Clear();
                if (core.Version != published)
                {
                    snapshot = core.Snapshot(); // before the events, so a handler that reads it sees the change
                    published = core.Version;
                }

                foreach (MemberStateChange change in changes)
                {
                    Raise(change);
                }

                changes.Clear();
                if (inbound.Count > 0 || Volatile.Read(ref pendingMembers) is not null)
                {
                    continue;
                }

                // Rounded up: waking a fraction of a millisecond early would only spin once more.
                double waitMs = Math.Ceiling((core.NextDeadline - core.Now).TotalMilliseconds);
                if (waitMs > 0 && inbound.TryTake(out Inbound next, (int)Math.Min(waitMs, int.MaxValue), stopping.Token))
                {
                    Handle(next, sends); // its reply, if any, goes out with the next turn's sends
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A bug in the core: say so loudly; this detector no longer probes.
            note($"membership: the protocol loop failed and stopped: {e}");
            throw;
        }
    }

    private void Handle(in Inbound item, List<Outgoing> sends)
    {
        if (item.Message is null)
        {
            return; // a wake-up: the turn that follows does the work
        }

        byte[]? reply = core.Receive(item.Message, item.From!, item.Channel);
        if (item.Reply is { } waiting)
        {
            waiting.TrySetResult(reply); // the accepted TCP connection writes it
        }
        else if (reply is not null && item.Channel == ProbeChannel.Udp)
        {
            sends.Add(new Outgoing(item.From!, reply, ProbeChannel.Udp));
        }
    }

    private void Raise(MemberStateChange change)
    {
        if (MemberStateChanged is not { } handlers)
        {
            return;
        }

        // One by one, so a handler that throws does not keep the change from the others.
        foreach (EventHandler<MemberStateChange> handler in handlers.GetInvocationList().Cast<EventHandler<MemberStateChange>>())
        {
            try
            {
                handler(this, change);
            }
            catch (Exception e)
            {
                Counters.Increment(MembershipCounter.HandlerErrors);
                note($"membership: a MemberStateChanged handler threw for {change.NodeId} {change.State}: {e.Message}");
            }
        }
    }
}
