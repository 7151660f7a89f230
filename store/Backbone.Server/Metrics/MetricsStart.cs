using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Backbone.Server.Metrics;

/// <summary>Adds the metrics listener to a node's web host when <c>--metrics-addr</c> was given.</summary>
public static class MetricsStart
{
    /// <summary>
    /// The registry the node adds its sources to as they start (the store, the DNS server), or
    /// null when metrics are off. The listener is the web host's: the host starts, stops and
    /// disposes it.
    /// </summary>
    public static MetricsRegistry? Register(WebApplicationBuilder builder, NodeOptions options, Action<string> note)
    {
        if (options.MetricsAddress is not { } endpoint)
        {
            return null;
        }

        var registry = new MetricsRegistry();
        builder.Services.AddHostedService(_ => new MetricsListener(endpoint, registry, options.LogLevel, note));
        return registry;
    }
}
