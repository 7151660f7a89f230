using System.Runtime.CompilerServices;

namespace Backbone.Dns.Names;

/// <summary>
/// The embedded DNS server's names: every name of every network, built once from a snapshot of
/// the store (<see cref="Build"/>) and never changed afterwards; the server swaps in a new table
/// when the store changes. <see cref="Resolve"/> is called concurrently from every listener's
/// sockets and is safe for that: the only shared writes are the atomic rotation counters.
/// The rules, and the choices made where Docker's are silent, are in README.md beside this file.
/// </summary>
public sealed class NameTable
{
    /// <summary>Keys: lower-case names with the trailing dot, bare (<c>web.</c>) and qualified (<c>web.front.</c>).</summary>
    private readonly Dictionary<string, NameNode> names;
    private readonly Dictionary<string, NameNode>.AlternateLookup<ReadOnlySpan<char>> byChars;
    /// <summary>The networks known to this table that may forward (not internal).</summary>
    private readonly HashSet<string> externalNetworks;

    internal NameTable(Dictionary<string, NameNode> names, HashSet<string> externalNetworks)
    {
        this.names = names;
        this.externalNetworks = externalNetworks;
        byChars = names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>No names: every question is unknown (forwarded, or NXDOMAIN for an empty scope).</summary>
    public static NameTable Empty { get; } = new(new Dictionary<string, NameNode>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));

    /// <summary>Every key with its node: for the incremental update and for tests. Never mutate it.</summary>
    internal IReadOnlyDictionary<string, NameNode> Nodes => names;

    /// <summary>How many distinct keys (bare, qualified and reverse names) the table holds: for metrics and logs.</summary>
    public int NameCount => names.Count;

    public static NameTable Build(NameSource source, NameTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        return new NameTableBuilder(source, options).Build();
    }

    /// <summary>
    /// A new table: this one with the binding of each (key, network) in <paramref name="changes"/>
    /// replaced (a null binding removes the key from that network). Every other key keeps its
    /// node; this table is not changed, so readers still holding it see it whole.
    /// </summary>
    /// <param name="rankOf">A network's place in the store order, which orders a key's bindings as the full build does.</param>
    internal NameTable With(IReadOnlyList<(string Key, string NetworkId, NameBinding? Binding)> changes, Func<string, int> rankOf)
    {
        Dictionary<string, List<NameBinding>> touched = new(StringComparer.Ordinal);
        foreach ((string key, string networkId, NameBinding? binding) in changes)
        {
            if (!touched.TryGetValue(key, out List<NameBinding>? list))
            {
                list = names.TryGetValue(key, out NameNode? node) ? [.. node.Bindings] : [];
                touched.Add(key, list);
            }

            list.RemoveAll(b => b.NetworkId == networkId);
            if (binding is not null)
            {
                list.Add(binding);
            }
        }

        var next = new Dictionary<string, NameNode>(names, StringComparer.Ordinal);
        foreach ((string key, List<NameBinding> list) in touched)
        {
            if (list.Count == 0)
            {
                next.Remove(key);
                continue;
            }

            list.Sort((x, y) => rankOf(x.NetworkId).CompareTo(rankOf(y.NetworkId)));
            next[key] = new NameNode([.. list]);
        }

        return new NameTable(next, externalNetworks);
    }

    /// <summary>
    /// Answers one question as seen from <paramref name="scope"/>. <paramref name="name"/> is
    /// matched case-insensitively, with or without its trailing dot. Allocates nothing unless
    /// the name is visible on several networks of the scope. The result may be shared: do not
    /// mutate it.
    /// </summary>
    /// <returns>
    /// <see cref="LookupOutcome.Answer"/> with rotated records; <see cref="LookupOutcome.NoData"/>
    /// for a visible name without records of that type (or with nothing healthy behind it);
    /// otherwise the name is not visible (unknown, or only on networks outside the scope) and
    /// the outcome is <see cref="LookupOutcome.Forward"/>, or <see cref="LookupOutcome.NxDomain"/>
    /// when every network of the scope is internal.
    /// </returns>
    public Lookup Resolve(string name, RecordType type, NameScope scope)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Resolve(name.AsSpan(), type, scope);
    }

    /// <inheritdoc cref="Resolve(string, RecordType, NameScope)"/>
    [SkipLocalsInit] // the key buffer is written before it is read
    public Lookup Resolve(ReadOnlySpan<char> name, RecordType type, NameScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        Span<char> buffer = stackalloc char[DnsNames.MaxChars];
        return DnsNames.TryKey(name, buffer, out int length) ? ResolveKey(buffer[..length], type, scope) : NotFound(scope);
    }

    /// <summary>
    /// <see cref="Resolve(ReadOnlySpan{char}, RecordType, NameScope)"/> for a name already in key
    /// form, lower case with the trailing dot (the table-answer path reads it so from the packet): no
    /// second copy of the name per query.
    /// </summary>
    internal Lookup ResolveKey(ReadOnlySpan<char> key, RecordType type, NameScope scope)
    {
        if (byChars.TryGetValue(key, out NameNode? node) && node.Resolve(type, scope) is { } found)
        {
            return found;
        }

        // _port._proto.svc for a port the service does not publish: the service is ours, so
        // NODATA rather than a forward that would leak its name upstream.
        if (DnsNames.TrySrvParent(key, out ReadOnlySpan<char> parent) && byChars.TryGetValue(parent, out NameNode? service) && service.IsVisible(scope))
        {
            return Lookup.NoData;
        }

        return NotFound(scope);
    }

    /// <summary>
    /// A name the scope cannot see. Forwarded only when some network of the scope is known to
    /// this table and not internal: internal networks never reach upstream, and neither does a
    /// network the table does not know yet (fail closed: before the first read, or a network newer
    /// than the table, a container on an internal network must not leak its names upstream).
    /// </summary>
    private Lookup NotFound(NameScope scope)
    {
        if (scope.IsAll)
        {
            return Lookup.Forward;
        }

        // Over our HashSet, not the scope's IReadOnlySet: its struct enumerator allocates nothing.
        foreach (string id in externalNetworks)
        {
            if (scope.Sees(id))
            {
                return Lookup.Forward;
            }
        }

        return Lookup.NxDomain;
    }
}
