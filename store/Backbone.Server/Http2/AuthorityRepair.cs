using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Backbone.Server.Http2;

/// <summary>
/// Lets Kestrel serve etcd clients that send an :authority it would refuse: Kestrel resets such a
/// stream with PROTOCOL_ERROR ("Invalid Host header"), while etcd's server (grpc-go) never looks at
/// :authority. See <see cref="HostAuthority"/> for who sends what; etcdctl 3.4's
/// <c>endpoint status --cluster</c> is one. Kestrel has no option to accept them, so a connection
/// middleware rewrites those fields before Kestrel's HTTP/2 layer reads them.
/// </summary>
public static class AuthorityRepair
{
    /// <summary>Puts every connection of <paramref name="listen"/> through an <see cref="AuthorityRepairReader"/>.</summary>
    public static ListenOptions UseAuthorityRepair(this ListenOptions listen)
    {
        listen.Use(next => async connection =>
        {
            // Read per connection: the limits may be set after Listen.
            Http2Limits limits = listen.KestrelServerOptions.Limits.Http2;
            IDuplexPipe transport = connection.Transport;
            var reader = new AuthorityRepairReader(transport.Input, new Http2RequestRewriter(limits.MaxFrameSize, limits.HeaderTableSize));
            connection.Transport = new DuplexPipe(reader, transport.Output);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Transport = transport;
            }
        });
        return listen;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
