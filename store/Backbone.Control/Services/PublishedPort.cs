using System.Globalization;
using MessagePack;

namespace Backbone.Control.Services;

/// <summary>
/// A port a service publishes, named for SRV records: <c>8080/tcp</c> names it <c>8080</c>;
/// <c>name=http,target=8080,protocol=tcp</c> names it <c>http</c> (docker's long form).
/// </summary>
[MessagePackObject]
public sealed record PublishedPort
{
    [Key(0)] public required string Name { get; init; }
    [Key(1)] public int Target { get; init; }

    /// <summary>"tcp" or "udp".</summary>
    [Key(2)] public required string Protocol { get; init; }

    /// <summary>Parses one --publish value; the error says what a valid one looks like.</summary>
    public static PublishedPort Parse(string text)
    {
        string? name = null;
        string? target = null;
        string protocol = "tcp";
        if (text.Contains('=', StringComparison.Ordinal))
        {
            foreach (string part in text.Split(','))
            {
                string[] pair = part.Split('=', 2);
                if (pair.Length != 2)
                {
                    throw Invalid(text);
                }

                switch (pair[0].Trim())
                {
                    case "name": name = pair[1].Trim(); break;
                    case "target": target = pair[1].Trim(); break;
                    case "protocol": protocol = pair[1].Trim().ToLowerInvariant(); break;
                    default: throw new ControlException(ControlError.InvalidArgument, $"--publish \"{text}\": unknown field \"{pair[0]}\" (name, target and protocol are known)");
                }
            }
        }
        else
        {
            string[] pair = text.Split('/', 2);
            target = pair[0];
            protocol = pair.Length == 2 ? pair[1].ToLowerInvariant() : "tcp";
        }

        if (!int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw Invalid(text);
        }

        if (protocol is not ("tcp" or "udp"))
        {
            throw new ControlException(ControlError.InvalidArgument, $"--publish \"{text}\": protocol \"{protocol}\" is neither tcp nor udp");
        }

        name ??= port.ToString(CultureInfo.InvariantCulture);
        if (name.Length is 0 or > 15 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ControlException(ControlError.InvalidArgument, $"--publish \"{text}\": the port name \"{name}\" must be 1-15 letters, digits or '-' (it becomes _{name}._{protocol}.SERVICE in DNS)");
        }

        return new PublishedPort { Name = name, Target = port, Protocol = protocol };
    }

    public override string ToString() => $"{Name}={Target}/{Protocol}";

    private static ControlException Invalid(string text) =>
        new(ControlError.InvalidArgument, $"--publish \"{text}\" is not a port: write TARGET[/tcp|/udp], e.g. 8080/tcp, or name=http,target=8080,protocol=tcp");
}
