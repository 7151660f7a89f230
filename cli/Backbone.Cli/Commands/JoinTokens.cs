using Backbone.Client;
using Backbone.Server.Cluster;
using MessagePack;

namespace Backbone.Cli.Commands;

/// <summary>A cluster's join tokens, read from its store through any node's client API.</summary>
internal static class JoinTokens
{
    /// <summary>The token for <paramref name="role"/>, or null when the node is not in a cluster (started without --init or --join).</summary>
    public static async Task<string?> ReadAsync(BackboneClient client, JoinRole role, CancellationToken cancellationToken)
    {
        var found = await client.GetAsync(System.Text.Encoding.UTF8.GetString(ClusterSecrets.Key), cancellationToken).ConfigureAwait(false);
        if (found.Kvs.Count == 0)
        {
            return null;
        }

        return MessagePackSerializer.Deserialize<ClusterSecrets>(found.Kvs[0].Value.Memory).Token(role).ToString();
    }
}
