using System.Text;
using Backbone.Dns.Names;
using Backbone.Dns.Server;
using BenchmarkDotNet.Attributes;

namespace Backbone.Dns.Micro;

/// <summary>
/// One query answered from the table, from the bytes received to the bytes to send: the
/// allocation-free path (a response buffer reused) beside the general path through Makaretu's
/// message model, for the query kinds bench/dns sends.
/// </summary>
[MemoryDiagnoser]
public class AnswerBenchmarks
{
    private readonly byte[] response = new byte[ushort.MaxValue];
    private DnsResponder responder = null!;
    private byte[] single = [];
    private byte[] roundRobin = [];
    private byte[] srv = [];
    private byte[] noData = [];
    private byte[] ptr = [];

    [GlobalSetup]
    public void Setup()
    {
        NameTable table = BenchTable.Build();
        responder = new DnsResponder(() => table);
        single = Query("svc512.bench", 1);
        roundRobin = Query("rr.bench", 1);
        srv = Query("_http._tcp.rr.bench", 33);
        noData = Query("svc512.bench", 28);
        ptr = Query("13.3.0.10.in-addr.arpa", 12);
    }

    [Benchmark(Baseline = true)]
    public int GeneralA() => responder.Respond(single, single.Length, NameScope.All, overTcp: false).Bytes!.Length;

    [Benchmark]
    public int PlainA() => responder.Respond(single, single.Length, NameScope.All, overTcp: false, response).Written;

    [Benchmark]
    public int GeneralRoundRobin10() => responder.Respond(roundRobin, roundRobin.Length, NameScope.All, overTcp: false).Bytes!.Length;

    [Benchmark]
    public int PlainRoundRobin10() => responder.Respond(roundRobin, roundRobin.Length, NameScope.All, overTcp: false, response).Written;

    [Benchmark]
    public int PlainSrv10() => responder.Respond(srv, srv.Length, NameScope.All, overTcp: false, response).Written;

    [Benchmark]
    public int PlainNoData() => responder.Respond(noData, noData.Length, NameScope.All, overTcp: false, response).Written;

    [Benchmark]
    public int PlainPtr() => responder.Respond(ptr, ptr.Length, NameScope.All, overTcp: false, response).Written;

    /// <summary>A query as dig sends it: RD, and an OPT advertising 1232 bytes.</summary>
    private static byte[] Query(string name, ushort type)
    {
        var bytes = new List<byte> { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1 };
        foreach (string label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        bytes.AddRange([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
        return [.. bytes];
    }
}
