using System.Globalization;
using System.Text;

namespace Backbone.Overlay.Runtime;

/// <summary>
/// A task's stdout and stderr, one file per task under the agent's log directory, each line
/// stamped with its time and stream. Bounded: past <see cref="MaxBytes"/> the file moves to
/// <c>.1</c> (replacing the older one), so a chatty task never fills the disk.
/// </summary>
public sealed class TaskLog(string directory, string taskId, TimeProvider time)
{
    public const long MaxBytes = 1 << 20;

    private readonly Lock gate = new();

    public string Path { get; } = System.IO.Path.Combine(directory, taskId + ".log");

    public void Append(string stream, string line)
    {
        string stamped = string.Create(CultureInfo.InvariantCulture, $"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {stream} {line}\n");
        lock (gate)
        {
            Directory.CreateDirectory(directory);
            if (File.Exists(Path) && new FileInfo(Path).Length > MaxBytes)
            {
                File.Move(Path, Path + ".1", overwrite: true);
            }

            File.AppendAllText(Path, stamped, Encoding.UTF8);
        }
    }

    /// <summary>The kept lines, oldest first, at most <paramref name="tail"/> of the newest (all when negative).</summary>
    public static IReadOnlyList<string> Read(string directory, string taskId, int tail)
    {
        string path = System.IO.Path.Combine(directory, taskId + ".log");
        var lines = new List<string>();
        foreach (string file in new[] { path + ".1", path })
        {
            if (File.Exists(file))
            {
                lines.AddRange(File.ReadAllLines(file));
            }
        }

        return tail >= 0 && lines.Count > tail ? lines[^tail..] : lines;
    }

    public static void Delete(string directory, string taskId)
    {
        string path = System.IO.Path.Combine(directory, taskId + ".log");
        File.Delete(path);
        File.Delete(path + ".1");
    }
}
