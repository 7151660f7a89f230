using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Backbone.Api.Control;
using Backbone.Client;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone network create|ls|inspect|rm</c>, as <c>docker network ...</c>, over the control API.</summary>
internal static class NetworkCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        Command network = new("network", "Manage overlay networks: the address space and VXLAN id that containers on every host share.\n"
            + "Example: backbone network create --subnet 10.0.9.0/24 --attachable appnet");
        network.Subcommands.Add(CreateNetwork());
        network.Subcommands.Add(List());
        network.Subcommands.Add(Inspect());
        network.Subcommands.Add(Remove());
        network.Subcommands.Add(RotateKeys());
        return network;
    }

    private static Command CreateNetwork()
    {
        Argument<string> name = new("name") { Description = "Network name: 1-63 letters, digits, '_', '.' or '-'" };
        Option<string> driver = new("--driver", "-d") { Description = "Network driver (only overlay)", DefaultValueFactory = _ => "overlay" };
        Option<string> subnet = new("--subnet") { Description = "IPv4 subnet in CIDR form, e.g. 10.0.9.0/24 (default: a free /24 from the node's --default-addr-pool, 10.0.0.0/8)" };
        Option<string> gateway = new("--gateway") { Description = "Gateway address inside --subnet (default: its first host address)" };
        Option<string> ipRange = new("--ip-range") { Description = "Allocate container addresses from this CIDR inside --subnet (default: the whole subnet)" };
        Option<int> mtu = new("--mtu") { Description = "MTU of the network's devices (default 1450, 1424 when encrypted: the underlay's 1500 minus VXLAN's 50)" };
        Option<string[]> opts = new("--opt", "-o") { Description = "Driver option: `encrypted` (traffic sealed with AES-GCM, keys rotated through the store)", AllowMultipleArgumentsPerToken = false };
        Option<bool> attachable = new("--attachable") { Description = "Standalone containers (backbone container run) may attach, not only service tasks" };
        Option<bool> isInternal = new("--internal") { Description = "No route out of the network, and DNS does not forward outside names" };
        Command create = new("create", "Create an overlay network. All of its records (network, name, VXLAN id, keys) are written in one\n"
            + "transaction: a crash leaves all of it or none.\n"
            + "Examples: backbone network create appnet\n"
            + "          backbone network create --subnet 10.0.9.0/24 --gateway 10.0.9.1 --opt encrypted --attachable secure")
        {
            name, driver, subnet, gateway, ipRange, mtu, opts, attachable, isInternal,
        };
        create.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            string[] options = parse.GetValue(opts) ?? [];
            if (options.FirstOrDefault(o => o != "encrypted") is { } unknown)
            {
                await Console.Error.WriteLineAsync($"Error: unknown --opt \"{unknown}\": the overlay driver knows only `encrypted`").ConfigureAwait(false);
                return 2;
            }

            var request = new CreateNetworkRequest
            {
                Name = parse.GetValue(name)!,
                Driver = parse.GetValue(driver) ?? "overlay",
                Subnet = parse.GetValue(subnet) ?? "",
                Gateway = parse.GetValue(gateway) ?? "",
                IpRange = parse.GetValue(ipRange) ?? "",
                Mtu = parse.GetValue(mtu),
                Encrypted = options.Contains("encrypted"),
                Attachable = parse.GetValue(attachable),
                Internal = parse.GetValue(isInternal),
            };
            Network created = await ControlCalls.CallAsync(client, c => c.CreateNetworkAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            Console.WriteLine(created.Id);
            return 0;
        }));
        return create;
    }

    private static Command List()
    {
        Option<string> format = ControlCalls.FormatOption();
        Command ls = new("ls", "List networks.\nExample: backbone network ls --format json") { format };
        ls.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            ListNetworksResponse list = await ControlCalls.CallAsync(client, c => c.ListNetworksAsync(new ListNetworksRequest(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(list.Networks.Select(Describe), Indented));
                return 0;
            }

            Console.WriteLine($"{"NETWORK ID",-12}  {"NAME",-20}  {"DRIVER",-8}  {"SUBNET",-18}  {"GATEWAY",-15}  {"VNI",8}  OPTIONS");
            foreach (Network n in list.Networks)
            {
                string flags = string.Join(',', new[] { n.Encrypted ? "encrypted" : "", n.Attachable ? "attachable" : "", n.Internal ? "internal" : "" }.Where(f => f.Length > 0));
                Console.WriteLine($"{n.Id[..Math.Min(12, n.Id.Length)],-12}  {n.Name,-20}  {n.Driver,-8}  {n.Subnet,-18}  {n.Gateway,-15}  {n.Vni,8}  {flags}");
            }

            return 0;
        }));
        return ls;
    }

    private static Command Inspect()
    {
        Argument<string[]> networks = new("network") { Description = "Name, id or unique id prefix", Arity = ArgumentArity.OneOrMore };
        Command inspect = new("inspect", "Show networks in detail, as JSON.\nExample: backbone network inspect appnet") { networks };
        inspect.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            var found = new List<NetworkJson>();
            foreach (string wanted in parse.GetValue(networks)!)
            {
                Network n = await ControlCalls.CallAsync(client, c => c.InspectNetworkAsync(new NetworkRef { NameOrId = wanted }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
                found.Add(Describe(n));
            }

            Console.WriteLine(JsonSerializer.Serialize(found, Indented));
            return 0;
        }));
        return inspect;
    }

    private static Command Remove()
    {
        Argument<string[]> networks = new("network") { Description = "Name, id or unique id prefix", Arity = ArgumentArity.OneOrMore };
        Command rm = new("rm", "Remove networks. Refused while a network has containers or allocated addresses.\nExample: backbone network rm appnet") { networks };
        rm.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            foreach (string wanted in parse.GetValue(networks)!)
            {
                Network removed = await ControlCalls.CallAsync(client, c => c.RemoveNetworkAsync(new NetworkRef { NameOrId = wanted }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
                Console.WriteLine(removed.Name);
            }

            return 0;
        }));
        return rm;
    }

    private static Command RotateKeys()
    {
        Argument<string> network = new("network") { Description = "Name, id or unique id prefix of an encrypted network" };
        Command rotate = new("rotate-keys", "Rotate an encrypted network's keys now: the next key becomes the primary and a new key the next.\n"
            + "The leader also rotates them every --key-rotation-interval (backbone node; 12h by default).\n"
            + "Example: backbone network rotate-keys secure") { network };
        rotate.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            Network n = await ControlCalls.CallAsync(client, c => c.RotateNetworkKeysAsync(new NetworkRef { NameOrId = parse.GetValue(network)! }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            Console.WriteLine($"rotated the keys of {n.Name}: primary key at Lamport time {n.PrimaryKeyLamportTime}");
            return 0;
        }));
        return rotate;
    }

    private static NetworkJson Describe(Network n) => new(n.Id, n.Name, n.Driver, n.Subnet, n.Gateway, n.IpRange, n.Vni, n.Mtu, n.Encrypted, n.Attachable, n.Internal,
        ControlCalls.Time(n.CreatedUnixMs), n.Encrypted ? n.PrimaryKeyLamportTime : null, n.Encrypted ? ControlCalls.Time(n.KeysRotatedUnixMs) : null);

    /// <summary>The JSON shape of a network (PascalCase, as docker's inspect output).</summary>
    private sealed record NetworkJson(string Id, string Name, string Driver, string Subnet, string Gateway, string IpRange, int Vni, int Mtu,
        bool Encrypted, bool Attachable, bool Internal, string Created, long? PrimaryKeyLamportTime, string? KeysRotated);
}
