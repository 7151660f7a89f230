namespace Backbone.Dns.Names;

/// <summary>
/// Build-time only: the records one kind of owner (services, or endpoints) gives one name on one
/// network. A claim with no records still makes the name known (NODATA, not forwarded): a
/// dnsrr service whose tasks are all down, a stopped container.
/// </summary>
internal sealed class NameClaim
{
    private readonly HashSet<DnsRecord> seen = [];
    private readonly HashSet<DnsRecord> seenAdditional = [];
    private readonly List<DnsRecord> a = [];
    private readonly List<DnsRecord> srv = [];
    private readonly List<DnsRecord> srvAdditional = [];
    private readonly List<DnsRecord> ptr = [];

    /// <summary>Adds an answer record; a record already there (an alias equal to the name, a task listed twice) is skipped.</summary>
    public void Add(DnsRecord record)
    {
        if (!seen.Add(record))
        {
            return;
        }

        switch (record.Type)
        {
            case RecordType.A: a.Add(record); break;
            case RecordType.Srv: srv.Add(record); break;
            case RecordType.Ptr: ptr.Add(record); break;
            default: throw new InvalidOperationException($"the name table does not hold {record.Type} records");
        }
    }

    /// <summary>Adds an SRV record with its target's address record for the additional section.</summary>
    public void AddSrv(DnsRecord record, DnsRecord targetAddress)
    {
        if (record.Type != RecordType.Srv || targetAddress.Type != RecordType.A)
        {
            throw new InvalidOperationException($"an SRV claim takes an SRV record and an A record, not {record.Type} and {targetAddress.Type}");
        }

        if (seen.Add(record))
        {
            srv.Add(record);
            if (seenAdditional.Add(targetAddress))
            {
                srvAdditional.Add(targetAddress);
            }
        }
    }

    public NameBinding ToBinding(string networkId, bool isService)
    {
        DnsRecord[] any = [.. a, .. srv, .. ptr];
        DnsRecord[] additional = srv.Count == 0 ? [] : [.. srvAdditional];
        return new NameBinding(
            networkId,
            isService,
            new AnswerSet([.. a], []),
            new AnswerSet([.. srv], additional),
            new AnswerSet([.. ptr], []),
            new AnswerSet(any, additional));
    }
}
