using System.CommandLine;
using System.Security.Authentication;
using Backbone.Client;
using Grpc.Core;

namespace Backbone.Cli.Commands;

/// <summary>Options shared by every client command, and the one place client errors are printed.</summary>
internal static class CliOptions
{
    public static readonly Option<string?> Endpoints = new("--endpoints")
    {
        Description = $"Cluster endpoints, HOST:PORT[,HOST:PORT...], or https://HOST:PORT for nodes serving TLS "
            + $"(else ${Backbone.Client.Endpoints.EnvironmentVariable}, else {Backbone.Client.Endpoints.Default})",
        Recursive = true,
    };

    public static readonly Option<string?> CaCert = new("--cacert")
    {
        Description = "PEM bundle of CAs that may sign the nodes' certificates (besides the system's); makes HOST:PORT endpoints https. "
            + "Example: --endpoints https://10.0.0.1:2379 --cacert ca.crt",
        Recursive = true,
    };

    public static readonly Option<string?> Cert = new("--cert")
    {
        Description = "PEM client certificate, for nodes started with --client-ca (with --key)",
        Recursive = true,
    };

    public static readonly Option<string?> Key = new("--key")
    {
        Description = "PEM private key of --cert",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Endpoints);
        root.Options.Add(CaCert);
        root.Options.Add(Cert);
        root.Options.Add(Key);
    }

    public static ClientTlsOptions Tls(ParseResult parse) => new()
    {
        CaCertFile = parse.GetValue(CaCert),
        CertFile = parse.GetValue(Cert),
        KeyFile = parse.GetValue(Key),
    };

    public static BackboneClient Connect(ParseResult parse) => new(Backbone.Client.Endpoints.Resolve(parse.GetValue(Endpoints)), Tls(parse));

    /// <summary>Runs a client action, turning failures into one clear line on stderr and exit code 1.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<BackboneClient, Task<int>> action)
    {
        string endpoints = Backbone.Client.Endpoints.Resolve(parse.GetValue(Endpoints));
        bool tlsRequested = Tls(parse).IsSet || endpoints.Contains("https://", StringComparison.OrdinalIgnoreCase);
        BackboneClient client;
        try
        {
            client = Connect(parse);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using (client)
        {
            try
            {
                return await action(client).ConfigureAwait(false);
            }
            catch (RpcException) when (client.CertificateProblem is { } problem)
            {
                await Console.Error.WriteLineAsync($"Error: {endpoints} presented a certificate this client does not trust: {problem}").ConfigureAwait(false);
                return 1;
            }
            catch (RpcException e) when (Inner<AuthenticationException>(e.Status.DebugException) is not null)
            {
                await Console.Error.WriteLineAsync($"Error: no TLS handshake with {endpoints}: if the node serves cleartext, "
                    + "use HOST:PORT or http://HOST:PORT without --cacert, --cert and --key").ConfigureAwait(false);
                return 1;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.Detail.Contains("Error connecting", StringComparison.OrdinalIgnoreCase))
            {
                await Console.Error.WriteLineAsync($"Error: cannot reach {endpoints}: is a node running there? Start one with `./backbone node --data-dir DIR`, or pass --endpoints.").ConfigureAwait(false);
                return 1;
            }
            catch (RpcException e) when (!tlsRequested && e.Status.DebugException is HttpRequestException
            {
                HttpRequestError: not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError),
            })
            {
                // Connected, but no HTTP/2 came back (the error varies: InvalidResponse, or Unknown when the TLS side hangs up first).
                await Console.Error.WriteLineAsync($"Error: {endpoints} did not answer HTTP/2 in cleartext: if the node serves TLS, "
                    + "use https://HOST:PORT with --cacert FILE (the CA that signed its certificate)").ConfigureAwait(false);
                return 1;
            }
            catch (RpcException e)
            {
                await Console.Error.WriteLineAsync($"Error: {e.Status.Detail}").ConfigureAwait(false);
                return 1;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (OperationCanceledException)
            {
                return 130;
            }
        }
    }

    private static T? Inner<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
