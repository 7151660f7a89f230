using System.Net;
using Backbone.Overlay.Membership.Wire;

namespace Backbone.Overlay.Membership.Protocol;

/// <summary>The member list (given from outside), the state transitions and the snapshot.</summary>
internal sealed partial class DetectorCore
{
    /// <summary>
    /// Checks a member list and returns it keyed by node id, without <paramref name="self"/> and
    /// with IPv4-mapped addresses made IPv4. Throws <see cref="ArgumentException"/> for an invalid
    /// id, a missing endpoint, a port 0 or a node id given twice: the caller's bug, reported to it.
    /// </summary>
    public static Dictionary<string, MemberAddress> CheckMembers(string self, IReadOnlyCollection<MemberAddress> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var wanted = new Dictionary<string, MemberAddress>(members.Count, StringComparer.Ordinal);
        foreach (MemberAddress member in members)
        {
            ArgumentNullException.ThrowIfNull(member, nameof(members));
            MemberAddress.RequireValidNodeId(member.NodeId, nameof(members));
            if (member.EndPoint is null || member.EndPoint.Port == 0)
            {
                throw new ArgumentException($"member {member.NodeId} needs an endpoint with a port", nameof(members));
            }

            if (member.NodeId == self)
            {
                continue;
            }

            var endPoint = new IPEndPoint(MessageCodec.Normalize(member.EndPoint.Address), member.EndPoint.Port);
            if (!wanted.TryAdd(member.NodeId, member with { EndPoint = endPoint }))
            {
                throw new ArgumentException($"member {member.NodeId} is listed twice", nameof(members));
            }
        }

        return wanted;
    }

    /// <summary>
    /// Replaces the member list (see <see cref="CheckMembers"/>, which it applies). New members
    /// start <see cref="MemberState.Unknown"/> and are probed at once; a member whose endpoint
    /// changed keeps its state and is probed at once at the new one; members left out are
    /// forgotten, with no event (the caller removed them).
    /// </summary>
    public void SetMembers(IReadOnlyCollection<MemberAddress> list)
    {
        Dictionary<string, MemberAddress> wanted = CheckMembers(self, list);
        TimeSpan now = Now;
        foreach (MemberEntry member in members.Values.ToArray())
        {
            if (!wanted.ContainsKey(member.NodeId))
            {
                CancelRound(member);
                order.Remove(member.NodeId);
                members.Remove(member.NodeId);
            }
        }

        foreach (MemberAddress address in wanted.Values)
        {
            if (members.TryGetValue(address.NodeId, out MemberEntry? member))
            {
                if (!member.EndPoint.Equals(address.EndPoint))
                {
                    member.EndPoint = address.EndPoint;
                    CancelRound(member);
                    StartRound(member, now);
                }

                continue;
            }

            member = new MemberEntry(address.NodeId, address.EndPoint, time.GetUtcNow());
            members.Add(member.NodeId, member);
            order.Add(member.NodeId);
            StartRound(member, now);
        }

        Version++;
    }

    /// <summary>Every member and its state, ordered by node id.</summary>
    public IReadOnlyList<MemberStatus> Snapshot()
    {
        var statuses = new List<MemberStatus>(members.Count);
        foreach (MemberEntry member in members.Values)
        {
            statuses.Add(member.ToStatus());
        }

        statuses.Sort((a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
        return statuses;
    }

    private void CancelRound(MemberEntry member)
    {
        if (member.Round is { } round)
        {
            rounds.Remove(round.Nonce);
            member.Round = null;
        }
    }

    private void MarkAlive(MemberEntry member, string reason)
    {
        if (member.State != MemberState.Alive)
        {
            Transition(member, MemberState.Alive, reason);
        }
    }

    /// <summary>Alive and unknown members become suspect; a suspect's timer keeps running; the dead stay dead.</summary>
    private void Suspect(MemberEntry member, string reason)
    {
        if (member.State is MemberState.Alive or MemberState.Unknown)
        {
            member.SuspectedAt = Now;
            Transition(member, MemberState.Suspect, reason);
        }
    }

    private void Transition(MemberEntry member, MemberState state, string reason)
    {
        MemberState previous = member.State;
        member.State = state;
        member.ChangedAt = time.GetUtcNow();
        changes.Add(new MemberStateChange(member.NodeId, member.EndPoint, previous, state, reason, member.ChangedAt));
        Version++;
    }
}
