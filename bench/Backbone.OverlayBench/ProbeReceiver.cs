using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Netlink;

namespace Backbone.OverlayBench;

/// <summary>
/// The new container's end: on its own thread, waits for the first network namespace named
/// PREFIX + "c-" that was not there at construction, binds a UDP socket in it (as soon as the
/// agent has mounted it: a 1 ms poll), and records when the first datagram arrives and which
/// one it was. The socket is a file descriptor of this process, not a process in the namespace,
/// so the agent's removal of the container is not held up by it (it is closed first anyway).
/// </summary>
public sealed class ProbeReceiver : IDisposable
{
    private readonly string prefix;
    private readonly int port;
    private readonly long deadline;
    private readonly HashSet<string> before;
    private readonly Thread thread;
    private readonly ManualResetEventSlim done = new();
    private volatile bool stopping;
    private Socket? socket;

    public ProbeReceiver(string agentPrefix, int port, TimeSpan limit)
    {
        prefix = agentPrefix + "c-";
        this.port = port;
        deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        before = [.. NetworkNamespace.List().Where(n => n.StartsWith(prefix, StringComparison.Ordinal))];
        thread = new Thread(Run) { IsBackground = true, Name = "probe receiver" };
        thread.Start();
    }

    /// <summary>The namespace it listened in, once found.</summary>
    public string? Namespace { get; private set; }

    /// <summary>Stopwatch time the socket was bound (0: never).</summary>
    public long ListeningAt { get; private set; }

    /// <summary>Stopwatch time the first datagram was read (0: none came).</summary>
    public long FirstAt { get; private set; }

    /// <summary>The sender's sequence number in that datagram.</summary>
    public long FirstSequence { get; private set; } = -1;

    /// <summary>Waits for the first datagram or the deadline; true when one came.</summary>
    public bool Wait()
    {
        done.Wait();
        return FirstAt != 0;
    }

    private void Run()
    {
        try
        {
            socket = Listen();
            if (socket is null)
            {
                return;
            }

            byte[] buffer = new byte[64];
            while (!stopping)
            {
                int remainingMs = (int)((deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
                if (remainingMs <= 0)
                {
                    return;
                }

                socket.ReceiveTimeout = remainingMs;
                int length = socket.Receive(buffer);
                long now = Stopwatch.GetTimestamp();
                if (length >= ProbeSender.DatagramBytes)
                {
                    FirstSequence = BinaryPrimitives.ReadInt64BigEndian(buffer);
                    FirstAt = now;
                    return;
                }
            }
        }
        catch (SocketException e) when (stopping || e.SocketErrorCode == SocketError.TimedOut)
        {
            // Closed by Dispose, or timed out.
        }
        catch (ObjectDisposedException) when (stopping)
        {
            // Closed by Dispose.
        }
        finally
        {
            done.Set();
        }
    }

    /// <summary>Polls for the new namespace and binds in it; null at the deadline.</summary>
    private Socket? Listen()
    {
        while (!stopping && Stopwatch.GetTimestamp() < deadline)
        {
            string? fresh = NetworkNamespace.List().FirstOrDefault(n => n.StartsWith(prefix, StringComparison.Ordinal) && !before.Contains(n));
            if (fresh is not null)
            {
                try
                {
                    Socket bound = NetworkNamespace.Run(fresh, () =>
                    {
                        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                        udp.Bind(new IPEndPoint(IPAddress.Any, port));
                        return udp;
                    });
                    ListeningAt = Stopwatch.GetTimestamp();
                    Namespace = fresh;
                    return bound;
                }
                catch (NetlinkException)
                {
                    // The name is there before the agent's bind mount: not enterable yet.
                }
            }

            Thread.Sleep(1);
        }

        return null;
    }

    public void Dispose()
    {
        stopping = true;
        socket?.Dispose();
        thread.Join();
        socket?.Dispose(); // made after the first Dispose above looked
        done.Dispose();
    }
}
