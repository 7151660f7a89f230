using System.Diagnostics;
using System.Globalization;

namespace Backbone.Dns.Tests.Server;

/// <summary>A second real client, Knot's kdig (knot-dnsutils), against a listener on loopback: short answers over UDP and TCP.</summary>
public sealed class KdigTests : ListenerTests
{
    private static readonly bool Installed = File.Exists("/usr/bin/kdig");

    [SkippableFact]
    public async Task KdigGetsTheSameAnswersOverUdpAndTcp()
    {
        Skip.IfNot(Installed, "kdig is not installed: apt-get install knot-dnsutils (test.sh does)");
        Assert.Equal([ListenerHarness.WebVip], await ShortAsync("web"));
        Assert.Equal([ListenerHarness.WebVip], await ShortAsync("web", "ANY"));
        Assert.Equal([ListenerHarness.WebVip], await ShortAsync("+tcp", "WEB.front"));
        Assert.Empty(await ShortAsync("db", "AAAA")); // NOERROR, no data
        Assert.Equal([ListenerHarness.TaskName(ListenerHarness.Web, 1) + "."], await ShortAsync("-x", "10.0.1.5"));
        Assert.Equal(2, (await ShortAsync("_8080._tcp.web", "SRV")).Count);
        Assert.Equal(ListenerHarness.BigTasks, (await ShortAsync("+tcp", "tasks.big")).Count);
        Assert.Equal(ListenerHarness.BigTasks, (await ShortAsync("+bufsize=4096", "tasks.big")).Count);
    }

    /// <summary>The answer lines of <c>kdig +short</c>.</summary>
    private async Task<IReadOnlyList<string>> ShortAsync(params string[] args)
    {
        var start = new ProcessStartInfo("kdig") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])[$"@{Server.Endpoint.Address}", "-p", Server.Endpoint.Port.ToString(CultureInfo.InvariantCulture), "+short", "+retry=0", "+time=5", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using Process kdig = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string output = await kdig.StandardOutput.ReadToEndAsync(deadline.Token);
        string errors = await kdig.StandardError.ReadToEndAsync(deadline.Token);
        await kdig.WaitForExitAsync(deadline.Token);
        Assert.True(kdig.ExitCode == 0, $"kdig {string.Join(' ', args)} exited {kdig.ExitCode}: {output}{errors}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}
