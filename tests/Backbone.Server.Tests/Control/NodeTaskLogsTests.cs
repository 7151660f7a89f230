using Backbone.Server.Control;

namespace Backbone.Server.Tests.Control;

/// <summary>A node's own task logs, as its TaskLogs service reads them for whoever asks.</summary>
public sealed class NodeTaskLogsTests
{
    [Fact]
    public void OnlyTaskIdsAreRead_NeverAPathOutsideTheLogDirectory()
    {
        string root = Directory.CreateTempSubdirectory("bblogs").FullName;
        try
        {
            string tasks = Directory.CreateDirectory(Path.Combine(root, "tasks")).FullName;
            File.WriteAllText(Path.Combine(tasks, "abc123.log"), "2026-11-27T00:00:00.000Z stdout hello\n");
            File.WriteAllText(Path.Combine(root, "secret.log"), "not for clients\n");
            var logs = new NodeTaskLogs("n1id", "n1", tasks, kv: null!, invokerFor: null);

            var read = logs.ReadLocal(["abc123", "../secret", "/etc/passwd", ""], tail: 0);

            Api.Control.TaskLog only = Assert.Single(read);
            Assert.Equal("abc123", only.Task);
            Assert.Equal(["2026-11-27T00:00:00.000Z stdout hello"], only.Lines);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
