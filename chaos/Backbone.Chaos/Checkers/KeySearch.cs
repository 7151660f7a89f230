namespace Backbone.Chaos.Checkers;

/// <summary>
/// Wing &amp; Gong's linearizability search with Lowe's memoization, as Porcupine implements it, for
/// one key's register.
/// </summary>
/// <remarks>
/// Walk the <see cref="EntryList"/> from the head. At a call entry, try to linearize its op next:
/// if the model accepts it in the current state and the resulting (linearized set, state) is not
/// in the <see cref="StateCache"/>, push (op, old state), lift the op out of the list and restart
/// from the head; otherwise move on to the next entry. Reaching a return entry means an op whose
/// call came earlier must be linearized before this point and none of the candidates worked, so
/// pop the last choice, unlift it, and try the entry after it. An empty list means every op is
/// placed: linearizable. Popping from an empty stack means every order failed: not linearizable.
/// </remarks>
internal static class KeySearch
{
    public static KeySearchResult Run(KeyHistory history, SearchBudget budget)
    {
        int n = history.Ops.Length;
        var invoke = new long[n];
        var complete = new long[n];
        for (int i = 0; i < n; i++)
        {
            invoke[i] = history.Ops[i].InvokeTicks;
            complete[i] = history.Ops[i].CompleteTicks;
        }

        var entries = new EntryList(invoke, complete);
        var linearized = new LinearizedSet(n);
        var cache = new StateCache();
        RegisterOp[] steps = history.Steps;

        // The choices made so far: the call entry lifted, and the state before it.
        var calls = new (int Call, int StateBefore)[n];
        int depth = 0;
        int state = ValueTable.Absent;

        // A longest prefix, for the failure message. Copied lazily: a new maximum depth is saved
        // only when the search backtracks from it (the next stack change is that pop or a deeper
        // push), so a search that never backtracks copies nothing.
        int[] longest = [];
        int stateAfterLongest = state;
        bool deeperUnsaved = false;

        int entry = entries.First;
        while (!entries.IsEmpty)
        {
            if (!budget.TryStep())
            {
                return new KeySearchResult(Verdict.Unknown, longest, stateAfterLongest);
            }

            if (entries.IsCall(entry))
            {
                int op = entries.OpOf(entry);
                if (steps[op].TryApply(state, out int next))
                {
                    linearized.Add(op);
                    if (cache.TryAdd(linearized, next))
                    {
                        if (cache.Count > budget.MaxCacheEntries)
                        {
                            budget.CacheFull();
                            return new KeySearchResult(Verdict.Unknown, longest, stateAfterLongest);
                        }

                        calls[depth++] = (entry, state);
                        state = next;
                        entries.Lift(entry);
                        deeperUnsaved |= depth > longest.Length;

                        entry = entries.First;
                        continue;
                    }

                    linearized.Remove(op);
                }

                entry = entries.Next(entry);
            }
            else
            {
                if (deeperUnsaved)
                {
                    longest = Prefix(calls, depth, entries);
                    stateAfterLongest = state;
                    deeperUnsaved = false;
                }

                if (depth == 0)
                {
                    return new KeySearchResult(Verdict.NotLinearizable, longest, stateAfterLongest);
                }

                (int call, int before) = calls[--depth];
                state = before;
                linearized.Remove(entries.OpOf(call));
                entries.Unlift(call);
                entry = entries.Next(call);
            }
        }

        return new KeySearchResult(Verdict.Linearizable, longest, stateAfterLongest);
    }

    private static int[] Prefix((int Call, int StateBefore)[] calls, int depth, EntryList entries)
    {
        var prefix = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            prefix[i] = entries.OpOf(calls[i].Call);
        }

        return prefix;
    }
}
