namespace Backbone.Server.Tests.Compat;

/// <summary>
/// Parses a differential script: one etcdctl command per line, in the data-driven style of
/// etcd-io/raft's test scripts. The same steps run against etcd and Backbone.
/// <code>
/// # a comment; blank lines are ignored
/// put a 1                          etcdctl put a 1
/// get "" --from-key -w json        "" is an empty argument; "a b" one argument with a space
/// txn -w json &lt;&lt;EOF               the following lines, up to EOF, are the command's stdin
/// value("a") = "1"
///
/// put a 2
///
///
/// EOF
/// @as L1 lease grant 60            remember the lease id it prints as L1 ...
/// put k v --lease=$L1              ... and pass it on (each server its own id)
/// @until END watch a --rev=1       a watch: stopped once the value END has been printed
/// @sort lease list                 lines compared in sorted order
/// </code>
/// </summary>
public static class EtcdctlScript
{
    private const string StdinMarker = "<<EOF";
    private const string StdinEnd = "EOF";

    public static IReadOnlyList<ScriptStep> Parse(string script)
    {
        string[] lines = script.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        List<ScriptStep> steps = [];
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int lineNumber = i + 1;
            List<string> tokens = Tokenize(line, lineNumber);
            string? capture = null;
            string? until = null;
            bool sort = false;
            while (tokens.Count > 0 && tokens[0].StartsWith('@'))
            {
                string directive = tokens[0];
                tokens.RemoveAt(0);
                switch (directive)
                {
                    case "@sort":
                        sort = true;
                        break;
                    case "@as" when tokens.Count > 0:
                        capture = tokens[0];
                        tokens.RemoveAt(0);
                        break;
                    case "@until" when tokens.Count > 0:
                        until = tokens[0];
                        tokens.RemoveAt(0);
                        break;
                    default:
                        throw new FormatException($"line {lineNumber}: unknown or incomplete directive {directive}");
                }
            }

            string? stdin = null;
            if (tokens.Count > 0 && tokens[^1] == StdinMarker)
            {
                tokens.RemoveAt(tokens.Count - 1);
                List<string> input = [];
                for (i++; i < lines.Length && lines[i].Trim() != StdinEnd; i++)
                {
                    input.Add(lines[i].Trim());
                }

                if (i == lines.Length)
                {
                    throw new FormatException($"line {lineNumber}: {StdinMarker} without a closing {StdinEnd}");
                }

                stdin = string.Concat(input.Select(l => l + "\n"));
            }

            if (tokens.Count == 0)
            {
                throw new FormatException($"line {lineNumber}: no command");
            }

            string text = string.Join(' ', tokens.Select(t => t.Length == 0 || t.Contains(' ', StringComparison.Ordinal) ? $"\"{t}\"" : t))
                + (stdin is null ? "" : " " + StdinMarker)
                + (capture is null ? "" : $"   [@as {capture}]")
                + (until is null ? "" : $"   [@until {until}]")
                + (sort ? "   [@sort]" : "");
            steps.Add(new ScriptStep(lineNumber, text, tokens, stdin, capture, until, sort));
        }

        return steps;
    }

    /// <summary>Splits on spaces; "..." is one token (no escapes inside), "" an empty one.</summary>
    private static List<string> Tokenize(string line, int lineNumber)
    {
        List<string> tokens = [];
        int at = 0;
        while (at < line.Length)
        {
            if (line[at] == ' ')
            {
                at++;
                continue;
            }

            if (line[at] == '"')
            {
                int close = line.IndexOf('"', at + 1);
                if (close < 0)
                {
                    throw new FormatException($"line {lineNumber}: unclosed quote");
                }

                tokens.Add(line[(at + 1)..close]);
                at = close + 1;
                continue;
            }

            int end = line.IndexOf(' ', at);
            end = end < 0 ? line.Length : end;
            tokens.Add(line[at..end]);
            at = end;
        }

        return tokens;
    }
}
