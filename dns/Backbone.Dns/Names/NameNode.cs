namespace Backbone.Dns.Names;

/// <summary>
/// One key of the table with its meaning on every network that has it. Usually one binding;
/// a name on several networks (a service attached to two, <c>web</c> on each of two networks)
/// has one per network, and the question's scope picks among them.
/// </summary>
internal sealed class NameNode(NameBinding[] bindings)
{
    /// <summary>Rotation counter for answers merged from several networks; only ever incremented atomically.</summary>
    private int handedOut;

    /// <summary>One per network that has the name, in the networks' store order.</summary>
    public IReadOnlyList<NameBinding> Bindings => bindings;

    /// <summary>Whether some network of <paramref name="scope"/> has this name.</summary>
    public bool IsVisible(NameScope scope)
    {
        foreach (NameBinding binding in bindings)
        {
            if (scope.Sees(binding.NetworkId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The answer seen from <paramref name="scope"/>, or null when no binding is visible (the
    /// caller then treats the name as unknown: nothing leaks across networks). When several
    /// are visible and any is a service's, only the services' bindings answer.
    /// </summary>
    public Lookup? Resolve(RecordType type, NameScope scope)
    {
        NameBinding? first = null;
        int visible = 0;
        bool service = false;
        foreach (NameBinding binding in bindings)
        {
            if (scope.Sees(binding.NetworkId))
            {
                first ??= binding;
                visible++;
                service |= binding.IsService;
            }
        }

        if (first is null)
        {
            return null;
        }

        if (visible == 1)
        {
            return first.For(type)?.Next() ?? Lookup.NoData;
        }

        return Merge(type, scope, service);
    }

    /// <summary>The rare case: the name is visible on several networks. Allocates.</summary>
    private Lookup Merge(RecordType type, NameScope scope, bool serviceOnly)
    {
        List<DnsRecord> answers = [];
        List<DnsRecord> additional = [];
        foreach (NameBinding binding in bindings)
        {
            if (!scope.Sees(binding.NetworkId) || (serviceOnly && !binding.IsService) || binding.For(type) is not { } set)
            {
                continue;
            }

            answers.AddRange(set.Records);
            additional.AddRange(set.Additional);
        }

        if (answers.Count == 0)
        {
            return Lookup.NoData;
        }

        uint turn = unchecked((uint)(Interlocked.Increment(ref handedOut) - 1));
        int start = (int)(turn % (uint)answers.Count);
        DnsRecord[] rotated = new DnsRecord[answers.Count];
        for (int i = 0; i < rotated.Length; i++)
        {
            rotated[i] = answers[(start + i) % answers.Count];
        }

        return new Lookup(LookupOutcome.Answer, rotated, additional.ToArray());
    }
}
