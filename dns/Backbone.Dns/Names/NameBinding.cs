namespace Backbone.Dns.Names;

/// <summary>
/// What one name means on one network: the answers per question type, and whether a service
/// claims the name there (a service's meaning beats an endpoint's, across networks too).
/// </summary>
internal sealed class NameBinding(string networkId, bool isService, AnswerSet a, AnswerSet srv, AnswerSet ptr, AnswerSet any)
{
    public string NetworkId { get; } = networkId;

    /// <summary>True when the name is a service's (name, alias, tasks.X or SRV name) or a VIP's reverse name.</summary>
    public bool IsService { get; } = isService;

    /// <summary>The answers to a question of <paramref name="type"/>; null for types the table never has (AAAA, MX, TXT...).</summary>
    public AnswerSet? For(RecordType type) => type switch
    {
        RecordType.A => a,
        RecordType.Srv => srv,
        RecordType.Ptr => ptr,
        RecordType.Any => any,
        _ => null,
    };
}
