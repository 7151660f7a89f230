using Etcdserverpb;

namespace Backbone.Server.Tests.Cluster;

/// <summary>Assertions shared by the cluster tests, with messages that show the offending keys.</summary>
public static class ClusterAssert
{
    /// <summary>
    /// Every serving member's MemberList names every member of <paramref name="cluster"/>: its
    /// member id, name and client URL, and nobody else.
    /// </summary>
    public static async Task MemberListIsCompleteAsync(TestCluster cluster)
    {
        string expected = string.Join(", ", cluster.Members.Select(m => $"{m.MemberId:x} {m.Name} {m.ClientUrl}").Order(StringComparer.Ordinal));
        foreach (int i in cluster.Serving)
        {
            MemberListResponse list = await cluster.ClusterApi(i).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            string listed = string.Join(", ", list.Members.Select(m => $"{m.ID:x} {m.Name} {string.Join('|', m.ClientURLs)}").Order(StringComparer.Ordinal));
            Assert.True(expected == listed, $"MemberList from {cluster[i].Name}:\n  got      {listed}\n  expected {expected}");
        }
    }

    /// <summary>
    /// Every acknowledged put is in <paramref name="snapshot"/> with its value, at the revision it
    /// was acknowledged with (each key is written once, so nothing may have moved it), and no two
    /// acknowledgements share a revision (each put makes its own).
    /// </summary>
    public static void AcknowledgedPutsPresent(KeySnapshot snapshot, IReadOnlyList<AcknowledgedPut> acknowledged, string logs)
    {
        List<string> problems = [];
        foreach (AcknowledgedPut put in acknowledged)
        {
            if (!snapshot.ByKey.TryGetValue(put.Key, out StoredKey stored))
            {
                problems.Add($"{put.Key} (acknowledged by member #{put.Member} at revision {put.Revision}) is missing");
            }
            else if (stored.Value != put.Value || stored.ModRevision != put.Revision)
            {
                problems.Add($"{put.Key} acknowledged as {put.Value} at revision {put.Revision} by member #{put.Member}, stored {stored}");
            }
        }

        foreach (IGrouping<long, AcknowledgedPut> shared in acknowledged.GroupBy(p => p.Revision).Where(g => g.Count() > 1))
        {
            problems.Add($"revision {shared.Key} acknowledged for {shared.Count()} puts: {string.Join(", ", shared.Select(p => p.Key))}");
        }

        Assert.True(problems.Count == 0,
            $"{problems.Count} of {acknowledged.Count} acknowledged puts are wrong on member #{snapshot.Member} (revision {snapshot.Revision}):\n"
            + string.Join('\n', problems.Take(15)) + "\n" + logs);
    }
}
