using Backbone.Server.Tests.Crash;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Support;

/// <summary>
/// An older commit of this repository, built from its own sources into a temporary directory,
/// for upgrade tests: its <see cref="Launcher"/> runs that commit's CLI as <c>./backbone</c> runs
/// this tree's. The directory goes on dispose.
/// </summary>
public sealed class PreviousRelease : IAsyncDisposable
{
    /// <summary>
    /// The last commit before followers flushed before acknowledging (docs/raft.md, risk (b)): its
    /// followers acknowledged entries before flushing them, its leader made up for that with a
    /// round after each commit, and its Raft state machine reports version 1. The commits after it
    /// made followers flush first, then (58bc600) set the version to 2.
    /// </summary>
    public const string AcknowledgeBeforeFlush = "f2283356b398e4185ade1d36b1e48b41ed1ed326";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    private readonly string root;

    private PreviousRelease(string root, string launcher)
    {
        this.root = root;
        Launcher = launcher;
    }

    /// <summary>A script that execs the old CLI with its arguments (so a signal to its PID reaches the node).</summary>
    public string Launcher { get; }

    private static string RepositoryRoot => Path.GetDirectoryName(NodeProcess.Script())!;

    /// <summary>Why <paramref name="commit"/> cannot be built here (a clone without that history), or null when it can.</summary>
    public static async Task<string?> MissingReasonAsync(string commit)
    {
        Tool.Result found = await Tool.RunAsync("git", ["-C", RepositoryRoot, "cat-file", "-e", commit + "^{commit}"]).ConfigureAwait(false);
        return found.ExitCode == 0 ? null
            : $"needs commit {commit[..7]} in this clone's history (a shallow clone or a source archive lacks it): {found.Stderr.Trim()}";
    }

    /// <summary>
    /// Extracts <paramref name="commit"/> with <c>git archive</c> and publishes its CLI (Release).
    /// Takes a minute or two on two cores; the build's output goes to <paramref name="output"/> on failure.
    /// </summary>
    public static async Task<PreviousRelease> BuildAsync(string commit, ITestOutputHelper output)
    {
        string root = Path.Combine(Path.GetTempPath(), $"bbprevrel-{commit[..7]}-{Guid.NewGuid().ToString("N")[..8]}");
        string source = Path.Combine(root, "src");
        string bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(source);
        var release = new PreviousRelease(root, Path.Combine(root, "backbone"));
        try
        {
            string tarball = Path.Combine(root, "src.tar");
            await RunAsync(output, "git", ["-C", RepositoryRoot, "archive", "--format=tar", "-o", tarball, commit]).ConfigureAwait(false);
            await RunAsync(output, "tar", ["-xf", tarball, "-C", source]).ConfigureAwait(false);
            // No .git in an archive: Source Link would warn that it finds no repository. Warnings
            // stay warnings: an analyzer of a newer SDK must not fail a tree that built in its day.
            // No build servers left behind on CI. Not ready-to-run, unlike ./backbone: the old
            // nodes compile more in their first seconds, which the test's deadlines allow for.
            await RunAsync(output, "dotnet",
            [
                "publish", Path.Combine(source, "cli", "Backbone.Cli", "Backbone.Cli.csproj"), "-c", "Release", "-o", bin, "--nologo", "-v", "quiet",
                "--disable-build-servers", "-p:EnableSourceLink=false", "-p:EnableSourceControlManagerQueries=false", "-p:TreatWarningsAsErrors=false",
            ]).ConfigureAwait(false);
            await File.WriteAllTextAsync(release.Launcher, $"#!/bin/sh\nexec dotnet '{Path.Combine(bin, "backbone.dll")}' \"$@\"\n").ConfigureAwait(false);
            if (!OperatingSystem.IsWindows()) // the cluster tests run nodes on Linux only
            {
                File.SetUnixFileMode(release.Launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            output.WriteLine($"built {commit[..7]} into {bin}");
            return release;
        }
        catch
        {
            await release.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort, and never in place of the test's own failure: a node of this release
            // that just died may still hold a file
        }

        return ValueTask.CompletedTask;
    }

    private static async Task RunAsync(ITestOutputHelper output, string program, string[] args)
    {
        Tool.Result result = await Tool.RunAsync(program, args, timeout: BuildTimeout).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            output.WriteLine(result.All);
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed (exit {result.ExitCode}):\n{result.All}");
        }
    }
}
