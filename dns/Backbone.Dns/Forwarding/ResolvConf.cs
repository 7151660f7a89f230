using System.Net;

namespace Backbone.Dns.Forwarding;

/// <summary>The host's upstream resolvers, as its resolv.conf names them (port 53).</summary>
public static class ResolvConf
{
    public static IReadOnlyList<IPEndPoint> Nameservers(string path = "/etc/resolv.conf")
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var servers = new List<IPEndPoint>();
        foreach (string line in File.ReadLines(path))
        {
            string[] words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words is ["nameserver", var address, ..] && IPAddress.TryParse(address.Split('%')[0], out IPAddress? ip)
                && !(ip.Equals(IPAddress.Parse("127.0.0.11")))) // never ourselves
            {
                servers.Add(new IPEndPoint(ip, 53));
            }
        }

        return servers;
    }
}
