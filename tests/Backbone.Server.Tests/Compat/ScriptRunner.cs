using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Compat;

/// <summary>
/// Runs a differential script against one server with etcdctl and returns one normalized
/// transcript block per step: the command, stdout, stderr and how it ended.
/// </summary>
public static partial class ScriptRunner
{
    /// <summary>History is sent at once by both servers; this only bounds a watch that never sees its mark.</summary>
    private static readonly TimeSpan WatchTimeout = TimeSpan.FromSeconds(10);

    public static async Task<IReadOnlyList<string>> RunAsync(string endpoint, IReadOnlyList<ScriptStep> steps)
    {
        OutputNormalizer normalizer = new(endpoint);
        Dictionary<string, long> leases = [];
        List<string> transcript = new(steps.Count);
        foreach (ScriptStep step in steps)
        {
            string[] args = [.. step.Args.Select(a => Substitute(a, leases, step))];
            StringBuilder block = new($"$ etcdctl {step.Text}\n");
            if (step.WatchUntil is { } mark)
            {
                await WatchAsync(endpoint, args, mark, block).ConfigureAwait(false);
            }
            else
            {
                Tool.Result result = await Tool.EtcdctlAsync(endpoint, step.Stdin, args).ConfigureAwait(false);
                if (step.CaptureLease is { } name)
                {
                    long id = ParseLeaseId(result.Stdout, step);
                    leases[name] = id;
                    normalizer.AddLease(name, id);
                }

                // Sorted after normalizing: the raw lease ids differ, their script names do not.
                block.Append(step.SortLines ? SortLines(normalizer.Normalize(result.Stdout)) : result.Stdout);
                AppendStderr(block, result.Stderr);
                block.Append(CultureInfo.InvariantCulture, $"[exit {result.ExitCode}]\n");
            }

            transcript.Add(normalizer.Normalize(block.ToString()));
        }

        return transcript;
    }

    private static async Task WatchAsync(string endpoint, string[] args, string mark, StringBuilder block)
    {
        string markBase64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(mark));
        using StreamingProcess watch = new(
            Tool.Require("etcdctl", "etcd-client"),
            ["--endpoints", endpoint, "--command-timeout=10s", .. args],
            new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });

        // The mark is the last event's value: printed on its own line (simple) or inside the
        // response's JSON line (-w json, base64); either way the line must be complete.
        StreamingProcess.Ending ending = await watch.RunUntilAsync(
            output => output.Contains(mark + "\n", StringComparison.Ordinal) || EndsLineAfter(output, markBase64),
            WatchTimeout).ConfigureAwait(false);
        block.Append(watch.Stdout);
        AppendStderr(block, watch.Stderr);
        block.Append(ending switch
        {
            StreamingProcess.Ending.ConditionMet => $"[stopped after {mark}]\n",
            StreamingProcess.Ending.Exited => $"[exit {watch.ExitCode}]\n",
            _ => $"[timed out after {WatchTimeout.TotalSeconds} s]\n",
        });
    }

    private static bool EndsLineAfter(string output, string text)
    {
        int at = output.IndexOf(text, StringComparison.Ordinal);
        return at >= 0 && output.IndexOf('\n', at) >= 0;
    }

    private static void AppendStderr(StringBuilder block, string stderr)
    {
        if (stderr.Length > 0)
        {
            block.Append("[stderr]\n").Append(stderr);
            if (!stderr.EndsWith('\n'))
            {
                block.Append('\n');
            }
        }
    }

    private static string SortLines(string text) =>
        string.Concat(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).Select(l => l + "\n"));

    private static string Substitute(string arg, Dictionary<string, long> leases, ScriptStep step) =>
        LeaseReference().Replace(arg, m => leases.TryGetValue(m.Groups[1].Value, out long id)
            ? id.ToString("x", CultureInfo.InvariantCulture)
            : throw new FormatException($"line {step.LineNumber}: lease {m.Value} was not captured with @as"));

    private static long ParseLeaseId(string stdout, ScriptStep step)
    {
        Match hex = GrantedHex().Match(stdout);
        if (hex.Success)
        {
            return long.Parse(hex.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        Match json = GrantedJson().Match(stdout);
        if (json.Success)
        {
            return long.Parse(json.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException($"line {step.LineNumber}: `{step.Text}` printed no lease id: {stdout}");
    }

    [GeneratedRegex(@"\$([A-Za-z][A-Za-z0-9]*)")]
    private static partial Regex LeaseReference();

    [GeneratedRegex(@"lease ([0-9a-f]+) granted")]
    private static partial Regex GrantedHex();

    [GeneratedRegex("\"ID\":(\\d+)")]
    private static partial Regex GrantedJson();
}
