namespace Backbone.Server.Tests.Compat;

/// <summary>
/// One etcdctl invocation of a differential script (see <see cref="EtcdctlScript"/>).
/// </summary>
/// <param name="LineNumber">Where the step starts in the script, for failure messages.</param>
/// <param name="Text">The command for messages: etcdctl's arguments (lease names not substituted), then the directives.</param>
/// <param name="Args">etcdctl's arguments after the global flags; <c>$NAME</c> stands for a captured lease id.</param>
/// <param name="Stdin">What the command reads (etcdctl txn's interactive form), or null.</param>
/// <param name="CaptureLease">Name under which the lease id this command prints is remembered (<c>@as NAME</c>).</param>
/// <param name="WatchUntil">For a watch: the value of the last expected event; the watch is stopped once it was printed (<c>@until MARK</c>).</param>
/// <param name="SortLines">Compare the output's lines as a set (<c>@sort</c>): for answers whose order etcd leaves to a map.</param>
public sealed record ScriptStep(
    int LineNumber,
    string Text,
    IReadOnlyList<string> Args,
    string? Stdin = null,
    string? CaptureLease = null,
    string? WatchUntil = null,
    bool SortLines = false);
