using System.Text;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// Checks names before they reach the kernel, so a bad name is an <see cref="ArgumentException"/>
/// that says what is wrong rather than a bare EINVAL from deep in a request.
/// </summary>
internal static class Names
{
    /// <summary>IFNAMSIZ (16) less the NUL.</summary>
    public const int LinkNameBytesMax = 15;

    /// <summary>A file name under <see cref="NetworkNamespace.RunDirectory"/> (NAME_MAX).</summary>
    public const int NamespaceNameBytesMax = 255;

    /// <summary>The kernel's dev_valid_name: 1-15 bytes, not "." or "..", no '/', ':' or whitespace.</summary>
    public static void CheckLinkName(string name, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes is 0 or > LinkNameBytesMax)
        {
            throw new ArgumentException($"link name \"{name}\" is {bytes} bytes; the kernel allows 1-{LinkNameBytesMax}", parameterName);
        }

        if (name is "." or ".." || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException($"link name \"{name}\" may not be \".\" or \"..\" or contain '/', ':' or whitespace", parameterName);
        }
    }

    /// <summary>A single path component: 1-255 bytes, not "." or "..", no '/' or NUL.</summary>
    public static void CheckNamespaceName(string name, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes is 0 or > NamespaceNameBytesMax || name is "." or ".." || name.Contains('/') || name.Contains('\0'))
        {
            throw new ArgumentException($"\"{name}\" is not a valid network namespace name (1-{NamespaceNameBytesMax} bytes, one path component)", parameterName);
        }
    }
}
