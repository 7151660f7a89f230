using System.Text;
using Backbone.Dns.Names;

namespace Backbone.Dns.Tests.Names;

/// <summary>
/// A table as text: every key in order with each network's binding, whether a service claims
/// it, and the records of each question type in their stored order (rotation 0). Two tables with
/// the same dump answer every question alike.
/// </summary>
internal static class TableDump
{
    private static readonly RecordType[] Types = [RecordType.A, RecordType.Srv, RecordType.Ptr, RecordType.Any];

    public static string Of(NameTable table)
    {
        var text = new StringBuilder();
        foreach (string key in table.Nodes.Keys.Order(StringComparer.Ordinal))
        {
            text.Append(key).Append('\n');
            foreach (NameBinding binding in table.Nodes[key].Bindings)
            {
                text.Append("  ").Append(binding.NetworkId).Append(binding.IsService ? " service\n" : " endpoint\n");
                foreach (RecordType type in Types)
                {
                    AnswerSet set = binding.For(type)!;
                    text.Append("    ").Append(type).Append(": ").AppendJoin(" | ", set.Records)
                        .Append(" + ").AppendJoin(" | ", set.Additional).Append('\n');
                }
            }
        }

        return text.ToString();
    }
}
