namespace Backbone.Client;

/// <summary>Parses the cluster's client endpoints: <c>HOST:PORT[,HOST:PORT...]</c>, each optionally with http:// or https://.</summary>
public static class Endpoints
{
    /// <summary>Where the CLI looks when --endpoints is not given.</summary>
    public const string EnvironmentVariable = "BACKBONE_ENDPOINTS";

    public const string Default = "127.0.0.1:2379";

    /// <summary>
    /// The endpoints as URLs. One without a scheme is https:// when <paramref name="tlsByDefault"/>
    /// (the client was given TLS flags, as etcdctl decides), else http://.
    /// </summary>
    public static IReadOnlyList<Uri> Parse(string endpoints, bool tlsByDefault = false)
    {
        List<Uri> uris = [];
        foreach (string raw in endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string withScheme = raw.Contains("://", StringComparison.Ordinal) ? raw : (tlsByDefault ? "https://" : "http://") + raw;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort)
            {
                throw new ArgumentException($"'{raw}' is not an endpoint: use HOST:PORT, or https://HOST:PORT for a node serving TLS (for example 127.0.0.1:2379)");
            }

            uris.Add(uri);
        }

        if (uris.Count == 0)
        {
            throw new ArgumentException("no endpoint given: use --endpoints HOST:PORT[,HOST:PORT...]");
        }

        return uris;
    }

    /// <summary>The endpoints from the flag, else the environment, else the default.</summary>
    public static string Resolve(string? flag) =>
        !string.IsNullOrWhiteSpace(flag) ? flag
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env
        : Default;
}
