namespace Backbone.Control.Networks;

/// <summary>VXLAN network identifiers for overlay networks: [4096, 2^24 - 1], below 4096 left to VLAN-style use as Docker does.</summary>
public static class VniPool
{
    public const int First = 4096;
    public const int Last = (1 << 24) - 1;

    /// <summary>The lowest VNI not in <paramref name="used"/>, or null when all are taken.</summary>
    public static int? Allocate(IEnumerable<int> used)
    {
        int candidate = First;
        foreach (int taken in used.Where(v => v >= First).Distinct().Order())
        {
            if (taken != candidate)
            {
                break; // a gap below it
            }

            candidate++;
        }

        return candidate <= Last ? candidate : null;
    }
}
