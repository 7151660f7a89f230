namespace Backbone.Overlay.Membership.Wire;

/// <summary>Why <see cref="MessageCodec.TryDecode"/> refused bytes (each is counted, none is an error).</summary>
internal enum DecodeResult
{
    Ok,

    /// <summary>Too short to hold a header and a MAC, or longer than <see cref="MembershipOptions.MaxMessageBytes"/>.</summary>
    BadLength,

    /// <summary>The HMAC did not verify under our key.</summary>
    BadMac,

    /// <summary>Authenticated, but not a message of this version: unknown version or type, bad lengths, invalid UTF-8, trailing bytes.</summary>
    Malformed,
}
