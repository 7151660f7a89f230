namespace Backbone.Store.Tests;

/// <summary>A data directory under /tmp for one test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bbtest-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public StoreOptions Options => new()
    {
        DataDir = Path,
        IndexSizeBytes = 1L << 16,
        PageSizeBytes = 1L << 22,
        MemorySizeBytes = 1L << 25,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a test that failed may still hold a file open.
        }
    }
}
