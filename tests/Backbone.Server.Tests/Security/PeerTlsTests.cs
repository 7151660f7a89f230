using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backbone.Server.Cluster;
using Backbone.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;

namespace Backbone.Server.Tests.Security;

/// <summary>
/// The Raft port speaks only mutual TLS with the cluster's CA: a peer without a certificate, or
/// with one from another cluster, cannot get a connection to talk on; a member's own
/// certificate can (the control that shows the test would see a refusal).
/// </summary>
public sealed class PeerTlsTests : IAsyncLifetime
{
    private static readonly TimeSpan QuietFor = TimeSpan.FromSeconds(1);

    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "bbtls-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly int peerPort = FreePort.Next();
    private WebApplication? app;

    public async Task InitializeAsync() =>
        app = await NodeServer.StartAsync(new NodeOptions
        {
            Name = "tls",
            DataDir = dataDir,
            ListenClient = $"127.0.0.1:{FreePort.Next()}",
            ListenPeer = $"127.0.0.1:{peerPort}",
            Init = true,
            ElectionTimeoutMs = 3_000, // DotNext closes an idle peer connection after its request timeout (= this): far longer than QuietFor
        });

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task APeerWithoutACertificateIsRefused() =>
        Assert.False(await ConnectionStaysOpenAsync(clientCertificate: null));

    [Fact]
    public async Task APeerWithACertificateOfAnotherClusterIsRefused()
    {
        ClusterCa other = ClusterCa.Create(0x5eed);
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] request = new CertificateRequest("CN=intruder", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        using X509Certificate2 foreign = X509Certificate2.CreateFromPem(other.SignNodeCertificate(request, "intruder", 7, IPAddress.Loopback), key.ExportPkcs8PrivateKeyPem());

        Assert.False(await ConnectionStaysOpenAsync(foreign));
    }

    [Fact]
    public async Task AMembersOwnCertificateIsAccepted()
    {
        NodeKeys keys = NodeKeys.LoadOrCreate(dataDir);
        using X509Certificate2 own = keys.Certificate();

        Assert.True(await ConnectionStaysOpenAsync(own));
    }

    /// <summary>
    /// Handshakes with the peer port, then waits: a refused peer sees the handshake fail or the
    /// connection closed at once (TLS 1.3 checks the client certificate after the client's side
    /// of the handshake is done); an accepted one sees a server waiting for its first request.
    /// </summary>
    private async Task<bool> ConnectionStaysOpenAsync(X509Certificate2? clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, peerPort);
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "backbone-peer",
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, _, _, _) => true, // this test judges the server's side only
            });
            using var quiet = new CancellationTokenSource(QuietFor);
            int read = await tls.ReadAsync(new byte[1], quiet.Token);
            return read > 0; // the server never speaks first: any byte would be a surprise, 0 is a close
        }
        catch (OperationCanceledException)
        {
            return true; // still open and waiting for us
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            return false;
        }
    }
}
