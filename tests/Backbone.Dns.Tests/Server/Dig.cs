using System.Diagnostics;
using System.Net;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// Runs the real <c>dig</c> (dnsutils) against a listener and reads its output. Only ever
/// pointed at the address given (a test listener on loopback), never at the system resolver.
/// </summary>
internal sealed record Dig(string Status, IReadOnlySet<string> Flags, IReadOnlyList<Dig.Line> Answers, IReadOnlyList<Dig.Line> Additional, bool HasOpt, string Transport, string Output)
{
    public static bool Installed { get; } = File.Exists("/usr/bin/dig") || File.Exists("/bin/dig");

    /// <summary><c>dig @server -p port args...</c> with one try and a timeout that only a stall reaches.</summary>
    public static async Task<Dig> RunAsync(IPEndPoint server, params string[] args)
    {
        var start = new ProcessStartInfo("dig") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])[$"@{server.Address}", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "+tries=1", "+time=5", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using Process dig = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<string> output = dig.StandardOutput.ReadToEndAsync(deadline.Token);
        Task<string> errors = dig.StandardError.ReadToEndAsync(deadline.Token);
        await dig.WaitForExitAsync(deadline.Token);
        string text = await output;
        Assert.True(dig.ExitCode == 0, $"dig {string.Join(' ', args)} exited {dig.ExitCode}: {text}{await errors}");
        return Parse(text);
    }

    /// <summary>Reads dig's default output: the header line, the flags, the sections, the server line.</summary>
    public static Dig Parse(string output)
    {
        string status = "";
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var answers = new List<Line>();
        var additional = new List<Line>();
        bool hasOpt = false;
        string transport = "";
        List<Line>? section = null;
        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith(";; ->>HEADER<<-", StringComparison.Ordinal))
            {
                status = Between(line, "status: ", ",");
            }
            else if (line.StartsWith(";; flags:", StringComparison.Ordinal))
            {
                flags.UnionWith(Between(line, ";; flags:", ";").Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            else if (line.StartsWith(";; OPT PSEUDOSECTION", StringComparison.Ordinal))
            {
                hasOpt = true;
            }
            else if (line.StartsWith(";; SERVER:", StringComparison.Ordinal))
            {
                transport = line.TrimEnd().EndsWith("(TCP)", StringComparison.Ordinal) ? "TCP" : "UDP";
            }

            section = line switch
            {
                ";; ANSWER SECTION:" => answers,
                ";; ADDITIONAL SECTION:" => additional,
                "" => null,
                _ when line.StartsWith(";;", StringComparison.Ordinal) => null,
                _ => section,
            };
            if (section is not null && !line.StartsWith(';'))
            {
                string[] fields = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                section.Add(new Line(fields[0].TrimEnd('.'), fields[3], string.Join(' ', fields[4..])));
            }
        }

        return new Dig(status, flags, answers, additional, hasOpt, transport, output);
    }

    /// <summary>The A records' addresses, sorted.</summary>
    public string[] Addresses() => [.. Answers.Where(a => a.Type == "A").Select(a => a.Data).Order(StringComparer.Ordinal)];

    private static string Between(string line, string after, string before)
    {
        int start = line.IndexOf(after, StringComparison.Ordinal) + after.Length;
        int end = line.IndexOf(before, start, StringComparison.Ordinal);
        return (end < 0 ? line[start..] : line[start..end]).Trim();
    }

    /// <summary>One record as dig prints it: owner (no trailing dot), type, and the rest.</summary>
    public sealed record Line(string Name, string Type, string Data);
}
