using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Backbone.Server.Tls;
using Microsoft.AspNetCore.Builder;

namespace Backbone.Server.Tests.Tls;

/// <summary>
/// Client TLS flags that cannot work stop the node at start, before it binds anything, with an
/// error that names the flag and the fix; and a bad flag never replaces TLS settings that work.
/// </summary>
public sealed class ClientTlsFlagTests : IDisposable
{
    private readonly TestCertificates certs = TestCertificates.Create();
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "bbtlsflags-" + Guid.NewGuid().ToString("N")[..12]);

    public static TheoryData<string, string[]> Refusals => new()
    {
        { "ca-without-cert", ["--client-ca", "--client-cert FILE and --client-key FILE"] },
        { "cert-without-key", ["--client-cert needs --client-key"] },
        { "key-without-cert", ["--client-key needs --client-cert"] },
        { "missing-cert-file", ["--client-cert", "no such file"] },
        { "missing-ca-file", ["--client-ca", "no such file"] },
        { "mismatched-key", ["--client-key", "is not the private key of the certificate in --client-cert"] },
        { "key-as-cert", ["--client-cert", "holds no PEM certificate"] },
        { "cert-as-key", ["--client-key", "holds no PEM private key"] },
        { "key-as-ca", ["--client-ca", "holds no PEM certificate"] },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task BadFlagsStopTheNodeWithAnErrorNamingTheFlagAndTheFix(string scenario, string[] expected)
    {
        NodeOptions options = Options(scenario);
        ArgumentException refused = await Assert.ThrowsAsync<ArgumentException>(() => NodeServer.StartAsync(options));
        foreach (string part in expected)
        {
            Assert.Contains(part, refused.Message, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(ClientTlsSettings.PathIn(dataDir)), "refused flags should not be kept");
    }

    [Fact]
    public async Task TheCliPrintsTheErrorAndExitsWith2()
    {
        int port = FreePort.Next();
        Tool.Result result = await Tool.RunAsync(NodeProcess.Script(),
            ["node", "--data-dir", dataDir, "--listen-client", $"127.0.0.1:{port}", "--client-cert", certs.ServerCertFile, "--client-key", certs.OtherKeyFile],
            timeout: TimeSpan.FromSeconds(180));
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"Error: --client-key {certs.OtherKeyFile} is not the private key of the certificate in --client-cert {certs.ServerCertFile}",
            result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadFlagOnARestartKeepsTheSettingsThatWork()
    {
        WebApplication app = await NodeServer.StartAsync(Options("good"));
        await app.StopAsync();
        await app.DisposeAsync();
        ClientTlsSettings kept = ClientTlsSettings.Load(dataDir)!;
        Assert.Equal(certs.ServerKeyFile, kept.KeyFile);
        Assert.Equal(certs.CaFile, kept.CaFile);

        await Assert.ThrowsAsync<ArgumentException>(() => NodeServer.StartAsync(Options("mismatched-key")));
        Assert.Equal(kept, ClientTlsSettings.Load(dataDir));
    }

    public void Dispose()
    {
        certs.Dispose();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // nothing was written
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private NodeOptions Options(string scenario)
    {
        string missing = Path.Combine(certs.Dir, "missing.pem");
        (string? cert, string? key, string? ca) = scenario switch
        {
            "good" => (certs.ServerCertFile, certs.ServerKeyFile, certs.CaFile),
            "ca-without-cert" => ((string?)null, (string?)null, certs.CaFile),
            "cert-without-key" => (certs.ServerCertFile, null, null),
            "key-without-cert" => (null, certs.ServerKeyFile, null),
            "missing-cert-file" => (missing, certs.ServerKeyFile, null),
            "missing-ca-file" => (certs.ServerCertFile, certs.ServerKeyFile, missing),
            "mismatched-key" => (certs.ServerCertFile, certs.OtherKeyFile, null),
            "key-as-cert" => (certs.ServerKeyFile, certs.ServerKeyFile, null),
            "cert-as-key" => (certs.ServerCertFile, certs.ServerCertFile, null),
            "key-as-ca" => (certs.ServerCertFile, certs.ServerKeyFile, certs.ServerKeyFile),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "no such scenario"),
        };
        return new NodeOptions
        {
            DataDir = dataDir,
            ListenClient = $"127.0.0.1:{FreePort.Next()}",
            ClientCertFile = cert,
            ClientKeyFile = key,
            ClientCaFile = ca,
        };
    }
}
