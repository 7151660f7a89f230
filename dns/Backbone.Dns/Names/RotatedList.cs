using System.Collections;

namespace Backbone.Dns.Names;

/// <summary>
/// A read-only view of <c>items</c> starting at <c>start</c> and wrapping around: the rotated
/// order of an answer without copying it. Index it (as the wire writer does) rather than
/// enumerating it, which allocates an enumerator.
/// </summary>
internal sealed class RotatedList(DnsRecord[] items, int start) : IReadOnlyList<DnsRecord>
{
    public int Count => items.Length;

    public DnsRecord this[int index]
    {
        get
        {
            if ((uint)index >= (uint)items.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"the list has {items.Length} records");
            }

            int at = start + index;
            return items[at < items.Length ? at : at - items.Length];
        }
    }

    public IEnumerator<DnsRecord> GetEnumerator()
    {
        for (int i = 0; i < items.Length; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
