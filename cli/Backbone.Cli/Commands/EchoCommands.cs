using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using Backbone.Cli.Echo;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone echo-server</c> and <c>backbone echo-client</c>: a service to run and a way to reach it, with nothing else installed.</summary>
internal static class EchoCommands
{
    public static Command Server()
    {
        Option<int> port = new("--port") { Description = "TCP port to listen on (all addresses)", DefaultValueFactory = _ => 8080 };
        Command command = new("echo-server", "Run the built-in echo server: each line sent over TCP comes back as \"NAME: line\", and an HTTP GET gets\n"
            + "\"hello from NAME (ADDRESS)\". NAME is the task's name inside a service ($BACKBONE_TASK_NAME), else the host name.\n"
            + "Example: backbone service create --name web --replicas 3 --network appnet -- backbone echo-server --port 8080")
        {
            port,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int chosen = parse.GetValue(port);
            if (chosen is < 1 or > 65535)
            {
                await Console.Error.WriteLineAsync($"Error: --port {chosen} is not a TCP port (1-65535)").ConfigureAwait(false);
                return 2;
            }

            string name = Environment.GetEnvironmentVariable("BACKBONE_TASK_NAME") is { Length: > 0 } task ? task : Environment.MachineName;
            try
            {
                await new EchoServer(chosen, name).RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                await Console.Error.WriteLineAsync($"Error: cannot listen on tcp port {chosen}: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (OperationCanceledException)
            {
                // stopped (SIGTERM/Ctrl-C)
            }

            return 0;
        });
        return command;
    }

    public static Command Client()
    {
        Argument<string> address = new("address") { Description = "HOST:PORT of an echo server" };
        Argument<string> text = new("text") { Description = "The line to send", DefaultValueFactory = _ => "hello" };
        Option<int> timeout = new("--timeout") { Description = "Seconds to wait for the connection and the answer", DefaultValueFactory = _ => 5 };
        Command command = new("echo-client", "Send one line to an echo server and print its answer (which names the replica that answered).\n"
            + "Example: backbone exec web.1 -- backbone echo-client web:8080 hi")
        {
            address, text, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string target = parse.GetValue(address)!;
            int colon = target.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), out int port) || port is < 1 or > 65535)
            {
                await Console.Error.WriteLineAsync($"Error: \"{target}\" is not HOST:PORT (for example 10.0.9.2:8080 or web:8080)").ConfigureAwait(false);
                return 2;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(target[..colon], port, deadline.Token).ConfigureAwait(false);
                using NetworkStream stream = client.GetStream();
                await stream.WriteAsync(Encoding.UTF8.GetBytes(parse.GetValue(text) + "\n"), deadline.Token).ConfigureAwait(false);
                client.Client.Shutdown(SocketShutdown.Send);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                string? answer = await reader.ReadLineAsync(deadline.Token).ConfigureAwait(false);
                if (answer is null)
                {
                    await Console.Error.WriteLineAsync($"Error: {target} closed the connection without answering").ConfigureAwait(false);
                    return 1;
                }

                Console.WriteLine(answer);
                return 0;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"Error: no answer from {target} within {parse.GetValue(timeout)} s").ConfigureAwait(false);
                return 1;
            }
            catch (SocketException e)
            {
                await Console.Error.WriteLineAsync($"Error: cannot reach {target}: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
