using Backbone.Cli.Lab;

namespace Backbone.Cli.Demo;

/// <summary>One task of `web` as `service ps` shows it.</summary>
internal sealed record Replica(string Name, string Host, string Address, bool Running)
{
    public static List<Replica> Parse(string servicePs, LabPlan plan)
    {
        var replicas = new List<Replica>();
        foreach (string line in servicePs.Split('\n').Skip(1))
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 4 && plan.Hosts.Any(h => h.Name == columns[2]))
            {
                string address = columns.Length >= 5 && columns[4].Contains('=', StringComparison.Ordinal) ? columns[4].Split('=')[1] : "";
                replicas.Add(new Replica(columns[1], columns[2], address, columns[3] == "running" && address.Length > 0));
            }
        }

        return replicas;
    }
}
