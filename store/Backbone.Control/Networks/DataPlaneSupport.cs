namespace Backbone.Control.Networks;

/// <summary>
/// What the data plane in use can carry. It is the kernel's VXLAN, which cannot encrypt on this
/// kernel (no ESP, no GCM: kernel IPsec is impossible here); the userspace data plane that
/// encrypts comes later. Until then a container on an encrypted network is refused when it is
/// asked for, never run with its traffic crossing hosts in cleartext.
/// </summary>
public static class DataPlaneSupport
{
    /// <summary>Throws FAILED_PRECONDITION, naming the reason and what to do, for an encrypted network.</summary>
    public static void RequireCarried(NetworkRecord network)
    {
        if (network.Encrypted)
        {
            throw new ControlException(ControlError.FailedPrecondition,
                $"network \"{network.Name}\" is encrypted, and this cluster's data plane is kernel VXLAN, which cannot encrypt on this kernel "
                + "(it has no ESP or GCM): its containers' traffic would cross hosts in cleartext. Attach to a network created without "
                + "--opt encrypted (the encrypting userspace data plane is not available yet)");
        }
    }
}
