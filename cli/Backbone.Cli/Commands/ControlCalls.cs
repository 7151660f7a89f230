using System.CommandLine;
using System.Globalization;
using Backbone.Client;

namespace Backbone.Cli.Commands;

/// <summary>What the control-API verbs (network, service) share: the call, the --format option, how times print.</summary>
internal static class ControlCalls
{
    public static Task<T> CallAsync<T>(BackboneClient client, Func<Api.Control.Control.ControlClient, Task<T>> call) =>
        client.InvokeAsync(invoker => call(new Api.Control.Control.ControlClient(invoker)));

    public static Option<string> FormatOption()
    {
        Option<string> format = new("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        return format;
    }

    public static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("o", CultureInfo.InvariantCulture);
}
