using System.Text;
using Backbone.Store.Model;
using Backbone.Store.Watch;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// Checks what one watch received (<see cref="WatchObservation"/>) against the committed history,
/// with the guarantees of etcd's robustness suite (tests/robustness/validate/watch.go), made exact
/// because the whole history is known:
/// <list type="bullet">
/// <item>ordered: events follow history order, by revision and then by sub-revision (the order the
/// write made them; etcd does not sort a revision's events by key);</item>
/// <item>unique: no (revision, key) twice;</item>
/// <item>atomic: all of a revision's matching events come in one message;</item>
/// <item>bookmarkable: after progress at R no event at or below R; progress never goes back; and
/// progress at R promises every matching event up to R was already delivered;</item>
/// <item>reliable: every matching event from the start revision through the last revision observed
/// (by events or progress) was delivered;</item>
/// <item>resumable: the first event is the first matching event at or after the start revision
/// (start 0 means the revision after the Created answer's);</item>
/// <item>filters and range, IsCreate (a put has version 1 iff create_revision = mod_revision),
/// prev_kv, and exact event contents; a compaction cancel only when the watch needed a compacted revision.</item>
/// </list>
/// </summary>
internal sealed class WatchHistoryChecker
{
    private const int MaxViolationsPerWatch = 20;

    /// <summary>Every committed event in history order; an event's index is its ordinal.</summary>
    private readonly List<WatchEvent> events = [];
    private readonly Dictionary<(long Revision, string Key), int> ordinals = [];
    private readonly Dictionary<long, (int First, int Count)> revisions = [];
    private readonly long prevKvMayBeMissingThrough;

    /// <param name="history">Committed revisions in increasing order.</param>
    /// <param name="prevKvMayBeMissingThrough">
    /// The compaction revision, if any: an event at or below it may come without prev_kv, since
    /// the previous value was compacted away (etcd omits prev_kv then too).
    /// </param>
    public WatchHistoryChecker(IReadOnlyList<CommittedRevision> history, long prevKvMayBeMissingThrough = 0)
    {
        this.prevKvMayBeMissingThrough = prevKvMayBeMissingThrough;
        long previous = 0;
        foreach (CommittedRevision committed in history)
        {
            if (committed.Revision <= previous)
            {
                throw new ArgumentException($"history revision {committed.Revision} follows {previous}", nameof(history));
            }

            previous = committed.Revision;
            revisions.Add(committed.Revision, (events.Count, committed.Events.Count));
            foreach (WatchEvent e in committed.Events)
            {
                ordinals.Add((committed.Revision, KeyText(e.Kv.Key)), events.Count);
                events.Add(e);
            }
        }
    }

    public static string KeyText(byte[] key) => Encoding.UTF8.GetString(key);

    /// <summary>etcd's (key, range_end) rule: empty end = the key alone; "\0" = every key from key ("\0" too: all); else [key, end).</summary>
    public static bool InRange(byte[] start, byte[] rangeEnd, byte[] key)
    {
        if (rangeEnd.Length == 0)
        {
            return key.AsSpan().SequenceEqual(start);
        }

        if (rangeEnd is [0])
        {
            return start is [0] || key.AsSpan().SequenceCompareTo(start) >= 0;
        }

        return key.AsSpan().SequenceCompareTo(start) >= 0 && key.AsSpan().SequenceCompareTo(rangeEnd) < 0;
    }

    public static string Describe(WatchEvent e) => $"{e.Type} {KeyText(e.Kv.Key)}@{e.Kv.ModRevision}";

    public static string Describe(WatchMessage m) =>
        $"[watch {m.WatchId} rev {m.Revision}{(m.Created ? " created" : "")}{(m.Canceled ? $" canceled compact={m.CompactRevision}" : "")}"
        + $" events: {string.Join(", ", m.Events.Select(Describe))}]";

    /// <summary>The violations in one watch's messages, each prefixed with the watch's name and the guarantee broken; empty when all hold.</summary>
    public List<string> Check(WatchObservation observation)
    {
        Run run = new(this, observation);
        run.Check();
        return run.Violations;
    }

    private static bool Matches(WatchSpec spec, WatchEvent e) =>
        InRange(spec.Key, spec.RangeEnd, e.Kv.Key)
        && !(e.Type == WatchEventType.Put && spec.NoPut)
        && !(e.Type == WatchEventType.Delete && spec.NoDelete);

    private static bool SameKv(KeyValue? a, KeyValue? b) =>
        a is null || b is null
            ? a is null && b is null
            : a.Key.AsSpan().SequenceEqual(b.Key) && a.Value.AsSpan().SequenceEqual(b.Value)
              && a.CreateRevision == b.CreateRevision && a.ModRevision == b.ModRevision
              && a.Version == b.Version && a.Lease == b.Lease;

    private static string Describe(KeyValue? kv) =>
        kv is null ? "null" : $"{{{KeyText(kv.Key)}={KeyText(kv.Value)} c{kv.CreateRevision} m{kv.ModRevision} v{kv.Version} l{kv.Lease}}}";

    /// <summary>One pass over one watch's messages.</summary>
    private sealed class Run(WatchHistoryChecker checker, WatchObservation observation)
    {
        private readonly WatchSpec spec = observation.Spec;
        private readonly HashSet<int> delivered = [];

        /// <summary>Ordinals of the events this watch must report, from its start revision on.</summary>
        private List<int> expected = [];
        private long start;
        private int lastOrdinal = -1;
        private long lastEventRevision;
        private long lastProgressRevision;

        /// <summary>expected[..promised] were checked delivered when a progress message promised them.</summary>
        private int promised;
        private bool sawEvent;

        public List<string> Violations { get; } = [];

        public void Check()
        {
            List<WatchMessage> messages = observation.Messages;
            if (messages.Count == 0 || !messages[0].Created)
            {
                Violate("structure", "the first message is not the Created answer");
                return;
            }

            WatchMessage created = messages[0];
            if (created.Canceled)
            {
                Violate("structure", $"creation refused: {created.CancelReason}");
                return;
            }

            start = spec.StartRevision == 0 ? created.Revision + 1 : spec.StartRevision;
            expected = [.. Enumerable.Range(0, checker.events.Count)
                .Where(i => checker.events[i].Kv.ModRevision >= start && Matches(spec, checker.events[i]))];

            bool canceled = false;
            for (int i = 1; i < messages.Count; i++)
            {
                WatchMessage message = messages[i];
                if (canceled)
                {
                    Violate("structure", $"message after Canceled: {Describe(message)}");
                }
                else if (message.Created)
                {
                    Violate("structure", $"a second Created: {Describe(message)}");
                }
                else if (message.WatchId != created.WatchId && message.WatchId != WatchMessage.ProgressWatchId)
                {
                    Violate("structure", $"message of another watch: {Describe(message)}");
                }
                else if (message.Canceled)
                {
                    canceled = true;
                    CheckCancel(message);
                }
                else if (message.Events.Count == 0)
                {
                    CheckProgress(message);
                }
                else
                {
                    CheckEvents(message);
                }
            }

            long through = Math.Max(lastEventRevision, lastProgressRevision);
            foreach (int ordinal in expected)
            {
                WatchEvent e = checker.events[ordinal];
                if (e.Kv.ModRevision > through)
                {
                    break;
                }

                if (!delivered.Contains(ordinal))
                {
                    Violate("reliable", $"gap: {Describe(e)} not delivered (start {start}, observed through {through})");
                }
            }

            if (observation.RequiredThroughRevision > 0 && !canceled && through < observation.RequiredThroughRevision)
            {
                Violate("complete", $"observed through {through} only, expected through {observation.RequiredThroughRevision}");
            }
        }

        private void CheckProgress(WatchMessage message)
        {
            if (message.Revision < lastProgressRevision)
            {
                Violate("bookmarkable", $"progress went back from {lastProgressRevision} to {message.Revision}");
                return;
            }

            lastProgressRevision = message.Revision;
            for (; promised < expected.Count && checker.events[expected[promised]].Kv.ModRevision <= message.Revision; promised++)
            {
                if (!delivered.Contains(expected[promised]))
                {
                    Violate("bookmarkable", $"progress at {message.Revision} before {Describe(checker.events[expected[promised]])} was delivered");
                }
            }
        }

        private void CheckCancel(WatchMessage message)
        {
            if (message.CompactRevision == 0)
            {
                return;
            }

            long next = Math.Max(start, Math.Max(lastEventRevision, lastProgressRevision) + 1);
            if (next >= message.CompactRevision)
            {
                Violate("compacted", $"canceled as compacted at {message.CompactRevision} though it needed revisions from {next} only");
            }
        }

        private void CheckEvents(WatchMessage message)
        {
            Dictionary<long, int> perRevision = [];
            foreach (WatchEvent got in message.Events)
            {
                long revision = got.Kv.ModRevision;
                if (revision > message.Revision)
                {
                    Violate("header", $"{Describe(got)} in a message with header revision {message.Revision}");
                }

                if (!checker.ordinals.TryGetValue((revision, KeyText(got.Kv.Key)), out int ordinal))
                {
                    Violate("phantom", $"{Describe(got)} is not in the committed history");
                    continue;
                }

                perRevision[revision] = perRevision.GetValueOrDefault(revision) + 1;
                WatchEvent want = checker.events[ordinal];
                CheckEvent(got, want);

                if (!Matches(spec, want))
                {
                    string what = InRange(spec.Key, spec.RangeEnd, want.Kv.Key) ? "filter" : "range";
                    Violate(what, $"{Describe(got)} does not match the watch");
                }

                if (revision < start)
                {
                    Violate("resumable", $"{Describe(got)} is before the start revision {start}");
                }

                if (!sawEvent)
                {
                    sawEvent = true;
                    if (expected.Count == 0 || expected[0] != ordinal)
                    {
                        string want0 = expected.Count == 0 ? "none" : Describe(checker.events[expected[0]]);
                        Violate("resumable", $"first event {Describe(got)}, expected {want0} (start {start})");
                    }
                }

                if (!delivered.Add(ordinal))
                {
                    Violate("unique", $"{Describe(got)} delivered again");
                }
                else if (ordinal < lastOrdinal)
                {
                    Violate("ordered", $"{Describe(got)} after {Describe(checker.events[lastOrdinal])}");
                }

                if (revision <= lastProgressRevision)
                {
                    Violate("bookmarkable", $"{Describe(got)} after progress at {lastProgressRevision}");
                }

                lastOrdinal = Math.Max(lastOrdinal, ordinal);
                lastEventRevision = Math.Max(lastEventRevision, revision);
            }

            foreach ((long revision, int count) in perRevision)
            {
                (int first, int total) = checker.revisions[revision];
                int matching = 0;
                for (int i = first; i < first + total; i++)
                {
                    matching += Matches(spec, checker.events[i]) ? 1 : 0;
                }

                if (count < matching && revision >= start)
                {
                    Violate("atomic", $"revision {revision} split: {count} of its {matching} matching events in {Describe(message)}");
                }
            }
        }

        private void CheckEvent(WatchEvent got, WatchEvent want)
        {
            if (got.Type != want.Type || !SameKv(got.Kv, want.Kv))
            {
                Violate("content", $"got {got.Type} {Describe(got.Kv)}, committed {want.Type} {Describe(want.Kv)}");
            }

            if (got.Type == WatchEventType.Put && (got.Kv.Version == 1) != (got.Kv.CreateRevision == got.Kv.ModRevision))
            {
                Violate("is_create", $"{Describe(got)}: version {got.Kv.Version}, create {got.Kv.CreateRevision}");
            }

            if (!spec.PrevKv)
            {
                if (got.PrevKv is not null)
                {
                    Violate("prev_kv", $"{Describe(got)} carries prev_kv {Describe(got.PrevKv)} though not asked");
                }
            }
            else if (!SameKv(got.PrevKv, want.PrevKv) && !(got.PrevKv is null && got.Kv.ModRevision <= checker.prevKvMayBeMissingThrough))
            {
                Violate("prev_kv", $"{Describe(got)}: prev_kv {Describe(got.PrevKv)}, expected {Describe(want.PrevKv)}");
            }
        }

        private void Violate(string guarantee, string detail)
        {
            if (Violations.Count < MaxViolationsPerWatch)
            {
                Violations.Add($"{observation.Name} ({guarantee}): {detail}");
            }
        }
    }
}
