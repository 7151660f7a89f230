using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Membership.Protocol;
using Backbone.Overlay.Membership.Wire;

namespace Backbone.Overlay.Membership;

/// <summary>
/// The TCP side: answering pings on accepted connections, and our own TCP pings (the fallback
/// when UDP goes unanswered). One frame each way per connection; every step under a deadline.
/// </summary>
public sealed partial class FailureDetector
{
    private async Task RunTcpAcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(stopping.Token);
            }
            catch (Exception e) when (stopping.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            catch (SocketException e)
            {
                Counters.Increment(MembershipCounter.SocketErrors);
                note($"membership: TCP accept failed: {e.SocketErrorCode}");
                await Task.Delay(TimeSpan.FromMilliseconds(10), time, CancellationToken.None);
                continue;
            }

            if (!tcpConnectionSlots.Wait(0))
            {
                Counters.Increment(MembershipCounter.TcpConnectionsRefused);
                connection.Dispose();
                continue;
            }

            Track(ServeTcpAsync(connection));
        }
    }

    /// <summary>Reads one ping within <see cref="MembershipOptions.TcpTimeout"/>, has the protocol loop answer it, writes the ack.</summary>
    private async Task ServeTcpAsync(Socket connection)
    {
        try
        {
            using (connection)
            {
                using var timeout = new CancellationTokenSource(options.TcpTimeout, time);
                using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping.Token);
                var remote = (IPEndPoint)connection.RemoteEndPoint!;
                remote = new IPEndPoint(MessageCodec.Normalize(remote.Address), remote.Port);
                if (Dropped(remote, ProbeChannel.Tcp))
                {
                    return;
                }

                byte[]? request = await TcpFraming.ReadAsync(connection, MembershipOptions.MaxMessageBytes, cancellation.Token);
                if (request is null)
                {
                    Counters.Increment(MembershipCounter.DroppedMalformed);
                    return;
                }

                var reply = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!TryEnqueue(new Inbound(request, remote, ProbeChannel.Tcp, reply)))
                {
                    Counters.Increment(MembershipCounter.DroppedQueueFull);
                    return;
                }

                if (await reply.Task.WaitAsync(cancellation.Token) is { } answer)
                {
                    await TcpFraming.WriteAsync(connection, answer, cancellation.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // A slow, reset or half-open peer, or shutdown: its probe fails, ours are unaffected.
        }
        finally
        {
            tcpConnectionSlots.Release();
        }
    }

    private void StartTcpProbe(Outgoing outgoing)
    {
        if (Dropped(outgoing.To, ProbeChannel.Tcp))
        {
            return;
        }

        if (!tcpProbeSlots.Wait(0))
        {
            Counters.Increment(MembershipCounter.TcpProbesSkipped);
            return;
        }

        Counters.Increment(MembershipCounter.TcpProbesSent);
        Track(TcpProbeAsync(outgoing));
    }

    /// <summary>Connects, sends the ping, reads the ack and queues it for the core like any received message, all before the round ends.</summary>
    private async Task TcpProbeAsync(Outgoing outgoing)
    {
        try
        {
            using var timeout = new CancellationTokenSource(outgoing.Timeout > TimeSpan.Zero ? outgoing.Timeout : options.ProbeTimeout, time);
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping.Token);
            using var socket = new Socket(outgoing.To.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (!IsWildcard(options.BindAddress) && options.BindAddress.AddressFamily == outgoing.To.AddressFamily)
            {
                // From the control-plane address, as the UDP probes are: the peer sees (and a firewall
                // rule matches) one address for us, whichever channel we use.
                socket.Bind(new IPEndPoint(options.BindAddress, 0));
            }

            await socket.ConnectAsync(outgoing.To, cancellation.Token);
            await TcpFraming.WriteAsync(socket, outgoing.Message, cancellation.Token);
            byte[]? ack = await TcpFraming.ReadAsync(socket, MembershipOptions.MaxMessageBytes, cancellation.Token);
            if (ack is null)
            {
                Counters.Increment(MembershipCounter.TcpProbesFailed);
                return;
            }

            if (!TryEnqueue(new Inbound(ack, outgoing.To, ProbeChannel.Tcp, null)))
            {
                Counters.Increment(MembershipCounter.DroppedQueueFull);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            if (!stopping.IsCancellationRequested)
            {
                Counters.Increment(MembershipCounter.TcpProbesFailed);
            }
        }
        finally
        {
            tcpProbeSlots.Release();
        }
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
