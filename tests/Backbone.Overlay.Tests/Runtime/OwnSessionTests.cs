using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using Backbone.Overlay.Runtime;

namespace Backbone.Overlay.Tests.Runtime;

/// <summary>How a task's process is started: the program found as exec would, in a session of its own.</summary>
[SupportedOSPlatform("linux")]
public sealed class OwnSessionTests
{
    [Fact]
    public void AProcessStartedThroughItLeadsANewSessionUnderItsOwnPid()
    {
        Assert.NotNull(OwnSession.Setsid); // util-linux is on every machine the node runs on

        ProcessStartInfo start = OwnSession.StartInfo(["sh", "-c", "cut -d' ' -f6 /proc/$$/stat"]);
        start.RedirectStandardOutput = true;
        using Process process = Process.Start(start)!;
        string session = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(process.Id.ToString(CultureInfo.InvariantCulture), session); // setsid exec'd in place: same PID, its own session
        Assert.NotEqual(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), session);
    }

    [Fact]
    public void ResolvesANameAlongThePathInOrderAndAPathWithASlashFromRoot()
    {
        Assert.Equal("/bin/sh", OwnSession.Resolve("sh", "/no/such/dir::/bin:/usr/bin"));
        Assert.Equal("/bin/sh", OwnSession.Resolve("bin/sh", "/nowhere"));
        Assert.Equal("/bin/sh", OwnSession.Resolve("/bin/sh", null));
    }

    [Fact]
    public void AMissingOrNonExecutableProgramIsAClearStartFailure()
    {
        FileNotFoundException missing = Assert.Throws<FileNotFoundException>(() => OwnSession.StartInfo(["no-such-program-7f3a"]));
        Assert.Contains("no executable no-such-program-7f3a in any directory of PATH (", missing.Message, StringComparison.Ordinal);

        string plain = Path.GetTempFileName();
        try
        {
            File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            FileNotFoundException notExecutable = Assert.Throws<FileNotFoundException>(() => OwnSession.Resolve(plain, null));
            Assert.Equal($"{plain} is not an executable file", notExecutable.Message);
            Assert.Throws<FileNotFoundException>(() => OwnSession.Resolve(Path.GetFileName(plain), Path.GetDirectoryName(plain)));
            Assert.Throws<FileNotFoundException>(() => OwnSession.Resolve("", "/bin"));
        }
        finally
        {
            File.Delete(plain);
        }
    }
}
