using System.Text.Json;

namespace Backbone.Cli.Lab;

/// <summary>
/// What `lab up` leaves on disk for `lab down` and `lab status`: the plan's inputs and each
/// node's pid. Written after every node starts, so a `lab up` that fails midway can still be
/// taken down.
/// </summary>
internal sealed record LabState(string Prefix, string Subnet, int Hosts, Dictionary<string, int> NodePids)
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Options));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The lab recorded at <paramref name="path"/>, or null when there is none; a file that does not read is an error naming it.</summary>
    public static LabState? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<LabState>(File.ReadAllText(path), Options)
                ?? throw new InvalidDataException("it is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"the lab record {path} does not read ({e.Message}); remove it and run `backbone lab down` with the lab's --prefix to clean up by name", e);
        }
    }
}
