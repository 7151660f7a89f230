using System.CommandLine;
using Backbone.Cli.Commands;

RootCommand root = new("Backbone: service discovery and overlay networking for container clusters.\n"
    + "Run a node with `backbone node`, then use it with `backbone kv ...` or any etcd v3 client (etcdctl).");
CliOptions.AddTo(root);
root.Subcommands.Add(NodeCommand.Create());
root.Subcommands.Add(KvCommand.Create());
root.Subcommands.Add(SwarmCommand.Create());
root.Subcommands.Add(NetworkCommand.Create());
root.Subcommands.Add(ServiceCommand.Create());
root.Subcommands.Add(ContainerCommand.Create());
root.Subcommands.Add(ExecCommand.Create());
root.Subcommands.Add(EchoCommands.Server());
root.Subcommands.Add(EchoCommands.Client());
root.Subcommands.Add(LabCommand.Create());
root.Subcommands.Add(Backbone.Cli.Demo.DemoCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
