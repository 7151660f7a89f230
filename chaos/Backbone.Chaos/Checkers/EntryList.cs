namespace Backbone.Chaos.Checkers;

/// <summary>
/// One key's history as a doubly linked list of call and return events in time order: the list
/// Wing &amp; Gong's search walks. Linearizing an op "lifts" its call and return out of the list;
/// backtracking "unlifts" them back into the same place. Arrays, not node objects: the search
/// touches these links millions of times.
/// </summary>
/// <remarks>
/// <para>
/// Tie rule (the conservative one): op A precedes op B in real time only when A's complete time is
/// strictly less than B's invoke time. Events are therefore sorted by time with every call before
/// every return of the same instant, so A returning exactly when B is invoked leaves them
/// concurrent: the checker may order them either way. A coarse or shared clock can then hide a
/// violation, but never invent one.
/// </para>
/// <para>
/// Worked example. ops 0 = [0, 5] and 1 = [5, 9] (ticks) give the list
/// head → call0 → call1 → ret0 → ret1. The search may linearize 0 or 1 first (both calls come before
/// the first return). Lifting op 1 leaves head → call0 → ret0; unlifting restores the full list.
/// </para>
/// </remarks>
internal sealed class EntryList
{
    public const int None = -1;

    // Entry e in [0, 2n): a call or a return; Head = 2n is the sentinel before the first entry.
    private readonly int[] next;
    private readonly int[] prev;

    // For a call entry: its return entry; for a return entry: None.
    private readonly int[] match;

    // The op (index into the key's ops) each entry belongs to.
    private readonly int[] opOf;

    public EntryList(IReadOnlyList<long> invokeTicks, IReadOnlyList<long> completeTicks)
    {
        int n = invokeTicks.Count;
        Head = 2 * n;
        next = new int[(2 * n) + 1];
        prev = new int[(2 * n) + 1];
        match = new int[2 * n];
        opOf = new int[2 * n];

        // Entry 2i is op i's call and 2i+1 its return; the sort only decides the links.
        var order = new int[2 * n];
        for (int e = 0; e < order.Length; e++)
        {
            order[e] = e;
            opOf[e] = e / 2;
            match[e] = e % 2 == 0 ? e + 1 : None;
        }

        Array.Sort(order, (a, b) =>
        {
            long ta = a % 2 == 0 ? invokeTicks[a / 2] : completeTicks[a / 2];
            long tb = b % 2 == 0 ? invokeTicks[b / 2] : completeTicks[b / 2];
            int byTime = ta.CompareTo(tb);
            if (byTime != 0)
            {
                return byTime;
            }

            // Same instant: calls (even) first, then by op, so the order is deterministic.
            int byKind = (a % 2).CompareTo(b % 2);
            return byKind != 0 ? byKind : a.CompareTo(b);
        });

        int last = Head;
        foreach (int e in order)
        {
            next[last] = e;
            prev[e] = last;
            last = e;
        }

        next[last] = None;
        prev[Head] = None;
    }

    public int Head { get; }

    public int First => next[Head];

    public bool IsEmpty => next[Head] == None;

    public int Next(int entry) => next[entry];

    public bool IsCall(int entry) => match[entry] != None;

    public int OpOf(int entry) => opOf[entry];

    /// <summary>Removes a call entry and its return from the list.</summary>
    public void Lift(int call)
    {
        int ret = match[call];
        if (ret == None)
        {
            throw new InvalidOperationException($"entry {call} is a return; only a call is lifted, its return goes with it");
        }

        // A call always has its return after it, so its next is never None.
        next[prev[call]] = next[call];
        prev[next[call]] = prev[call];
        next[prev[ret]] = next[ret];
        if (next[ret] != None)
        {
            prev[next[ret]] = prev[ret];
        }
    }

    /// <summary>Undoes <see cref="Lift"/>; lifts must be undone in reverse order (a stack).</summary>
    public void Unlift(int call)
    {
        int ret = match[call];
        next[prev[ret]] = ret;
        if (next[ret] != None)
        {
            prev[next[ret]] = ret;
        }

        next[prev[call]] = call;
        prev[next[call]] = call;
    }
}
