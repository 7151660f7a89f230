using System.Text;
using Backbone.Store.Model;

namespace Backbone.Store.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task PutGetSurvivesReopen()
    {
        using TempDir dir = new();
        await using (StoreEngine engine = StoreEngine.Open(dir.Options))
        {
            PutResult put = await engine.PutAsync(new PutRequest { Key = "a"u8.ToArray(), Value = "1"u8.ToArray() }, default);
            Assert.Equal(2, put.Revision); // as etcd: an empty store is at revision 1
            await engine.PutAsync(new PutRequest { Key = "a"u8.ToArray(), Value = "2"u8.ToArray() }, default);
        }

        await using (StoreEngine engine = StoreEngine.Open(dir.Options))
        {
            RangeResult got = engine.Range(new RangeRequest { Key = "a"u8.ToArray() });
            KeyValue kv = Assert.Single(got.Kvs);
            Assert.Equal("2", Encoding.UTF8.GetString(kv.Value));
            Assert.Equal(2, kv.Version);
            Assert.Equal(2, kv.CreateRevision);
            Assert.Equal(3, got.Revision);
        }
    }
}
