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

    public string Path { get; } = PathOf(directory, taskId);

    private static string PathOf(string directory, string taskId) => System.IO.Path.Combine(directory, taskId + ".log");

    public void Append(string stream, string line)
    {
        string stamped = string.Create(CultureInfo.InvariantCulture, $"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {stream} {line}\n");
        lock (gate)
        {
            try
            {
                Directory.CreateDirectory(directory);
                if (File.Exists(Path) && new FileInfo(Path).Length > MaxBytes)
                {
                    File.Move(Path, Path + ".1", overwrite: true);
                }

                File.AppendAllText(Path, stamped, Encoding.UTF8);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full disk or an unwritable directory loses output, never the task or the node
                // (this runs on the process's output-reading thread, where a throw would end the node).
                Interlocked.Increment(ref dropped);
            }
        }
    }

    private long dropped;

    /// <summary>Lines that could not be written.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>The kept lines, oldest first, at most <paramref name="tail"/> of the newest (all when negative).</summary>
    public static IReadOnlyList<string> Read(string directory, string taskId, int tail)
    {
        string path = PathOf(directory, taskId);
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

    /// <summary>Deletes the logs of every task not in <paramref name="keep"/> (ids): those removed while the agent was down.</summary>
    public static void DeleteAllBut(string directory, IReadOnlySet<string> keep)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (string file in Directory.GetFiles(directory, "*.log*"))
        {
            string name = System.IO.Path.GetFileName(file);
            if (!keep.Contains(name[..name.IndexOf(".log", StringComparison.Ordinal)]))
            {
                File.Delete(file);
            }
        }
    }

    public static void Delete(string directory, string taskId)
    {
        string path = PathOf(directory, taskId);
        File.Delete(path);
        File.Delete(path + ".1");
    }
}
