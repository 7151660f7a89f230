using System.Net;
using System.Net.Sockets;
using Makaretu.Dns;

namespace Backbone.Server.Tests.Dns;

/// <summary>
/// A resolver on loopback that stands in for the host's upstream (tests never ask the real
/// one): it knows the names it was given and says NXDOMAIN, with an SOA, for the rest.
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly UdpClient udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly IReadOnlyDictionary<string, IPAddress> names;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;
    private int queries;

    public FakeUpstream(IReadOnlyDictionary<string, IPAddress> names)
    {
        this.names = names;
        loop = Task.Run(ServeAsync);
    }

    public IPEndPoint Endpoint => (IPEndPoint)udp.Client.LocalEndPoint!;

    public int Queries => Volatile.Read(ref queries);

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        udp.Dispose();
        await loop.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task ServeAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            UdpReceiveResult received = await udp.ReceiveAsync(stopping.Token);
            Interlocked.Increment(ref queries);
            var query = new Message();
            query.Read(received.Buffer);
            Message answer = query.CreateResponse();
            string name = query.Questions[0].Name.ToString().TrimEnd('.').ToLowerInvariant();
            if (names.TryGetValue(name, out IPAddress? address) && query.Questions[0].Type == DnsType.A)
            {
                answer.Answers.Add(new ARecord { Name = query.Questions[0].Name, Address = address, TTL = TimeSpan.FromSeconds(60) });
            }
            else if (!names.ContainsKey(name))
            {
                answer.Status = MessageStatus.NameError;
                answer.AuthorityRecords.Add(new SOARecord
                {
                    Name = new DomainName("test"), PrimaryName = new DomainName("ns.test"), Mailbox = new DomainName("admin.test"),
                    SerialNumber = 1, Refresh = TimeSpan.FromHours(1), Retry = TimeSpan.FromMinutes(10), Expire = TimeSpan.FromDays(1),
                    Minimum = TimeSpan.FromSeconds(30), TTL = TimeSpan.FromSeconds(30),
                });
            }

            await udp.SendAsync(answer.ToByteArray(), received.RemoteEndPoint, stopping.Token);
        }
    }
}
