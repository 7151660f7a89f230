using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Control;

/// <summary><see cref="IChangeFeed"/> over the etcd v3 Watch API of any member, as an etcd client watches.</summary>
public sealed class ClientChangeFeed(CallInvoker invoker) : IChangeFeed
{
    public async IAsyncEnumerable<long> ChangesAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = new Watch.WatchClient(invoker).Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)) },
        }, cancellationToken).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            WatchResponse response = call.ResponseStream.Current;
            if (response.Canceled)
            {
                throw new InvalidOperationException($"watch on {prefix} cancelled by the server: {response.CancelReason}");
            }

            if (response.Events.Count > 0)
            {
                yield return response.Header.Revision;
            }
        }
    }
}
