using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backbone.Cli.Echo;

/// <summary>
/// The small server built into the binary, so a fresh machine can run a service with nothing
/// else installed: over TCP it answers each line with "NAME: line" (NAME is the task's name,
/// so a client sees which replica answered), and an HTTP request with one "hello from NAME"
/// page. Connections are served concurrently; a bad one never stops the others.
/// </summary>
internal sealed class EchoServer(int port, string name)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        using var listener = new TcpListener(IPAddress.Any, port);
        listener.Start();
        Console.WriteLine($"echo-server {name}: listening on tcp {listener.LocalEndpoint}");
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client = await listener.AcceptTcpClientAsync(stopping).ConfigureAwait(false);
            _ = Task.Run(() => ServeAsync(client, stopping), stopping);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        using (client)
        {
            try
            {
                string peer = client.Client.RemoteEndPoint?.ToString() ?? "?";
                string local = (client.Client.LocalEndPoint as IPEndPoint)?.Address.ToString() ?? "?";
                using NetworkStream stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                string? first = await reader.ReadLineAsync(stopping).ConfigureAwait(false);
                if (first is null)
                {
                    return;
                }

                if (first.StartsWith("GET ", StringComparison.Ordinal) || first.StartsWith("HEAD ", StringComparison.Ordinal))
                {
                    while (!string.IsNullOrEmpty(await reader.ReadLineAsync(stopping).ConfigureAwait(false)))
                    {
                        // the request's headers: nothing in them changes the answer
                    }

                    string body = $"hello from {name} ({local})\n";
                    await writer.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}").ConfigureAwait(false);
                    Console.WriteLine($"echo-server {name}: http {first} from {peer}");
                    return;
                }

                Console.WriteLine($"echo-server {name}: connection from {peer}");
                for (string? line = first; line is not null; line = await reader.ReadLineAsync(stopping).ConfigureAwait(false))
                {
                    await writer.WriteLineAsync($"{name}: {line}").ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // the client went away: nothing to answer
            }
        }
    }
}
