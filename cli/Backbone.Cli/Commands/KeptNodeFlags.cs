using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;

namespace Backbone.Cli.Commands;

/// <summary>
/// The `backbone node` flags a node keeps in <c>DATA/node-flags.json</c> so that a restart needs
/// only <c>--data-dir</c> (the cluster's own settings are in cluster.json): its agent's namespace
/// prefix and ports, its DNS and metrics listeners, its Raft tuning. A flag given again replaces
/// the kept one; one left out is taken from the file, else its default. Kept as the words given
/// (<c>"--dns-upstream": ["10.0.0.2", "10.0.0.3"]</c>), so a restart parses them exactly as the
/// first start did, through the same checks.
/// </summary>
internal static class KeptNodeFlags
{
    public const string FileName = "node-flags.json";

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    /// <summary>
    /// <paramref name="parse"/> again with the file's flags that were not given added (or
    /// <paramref name="parse"/> itself when there are none), and the flags to keep from now on:
    /// those of <paramref name="kept"/> that were given, over the file's; null when that is what
    /// the file holds already.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not what this class writes; the message names it.</exception>
    public static (ParseResult Parse, SortedDictionary<string, string[]>? Changed) Merge(ParseResult parse, string dataDir, IEnumerable<Option> kept)
    {
        SortedDictionary<string, string[]> flags = Load(dataDir);
        Dictionary<string, string[]> before = new(flags, StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Option option in kept)
        {
            names.Add(option.Name);
            if (parse.GetResult(option) is OptionResult { Implicit: false } result)
            {
                flags[option.Name] = [.. result.Tokens.Select(t => t.Value)];
                given.Add(option.Name);
            }
        }

        foreach (string unknown in flags.Keys.Where(k => !names.Contains(k)).ToList())
        {
            flags.Remove(unknown); // a flag an older or newer version kept: not ours to apply
        }

        List<string> added = [];
        foreach ((string name, string[] values) in flags.Where(f => !given.Contains(f.Key)))
        {
            if (values.Length == 0)
            {
                added.Add(name); // a switch given bare: --no-agent
            }

            foreach (string value in values)
            {
                added.AddRange([name, value]);
            }
        }

        bool same = before.Count == flags.Count && before.All(b => flags.TryGetValue(b.Key, out string[]? v) && v.SequenceEqual(b.Value));
        ParseResult merged = added.Count == 0 ? parse : parse.RootCommandResult.Command.Parse([.. parse.Tokens.Select(t => t.Value), .. added]);
        return (merged, same ? null : flags);
    }

    /// <summary>Writes <paramref name="flags"/> (through a temporary file, so a crash leaves the old file or the new one); null: unchanged, nothing to write.</summary>
    public static void Save(string dataDir, SortedDictionary<string, string[]>? flags)
    {
        if (flags is null)
        {
            return;
        }

        Directory.CreateDirectory(dataDir);
        string path = PathIn(dataDir);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(flags, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static SortedDictionary<string, string[]> Load(string dataDir)
    {
        string path = PathIn(dataDir);
        if (!File.Exists(path))
        {
            return new(StringComparer.Ordinal);
        }

        try
        {
            Dictionary<string, string[]> read = JsonSerializer.Deserialize<Dictionary<string, string[]>>(File.ReadAllText(path)) ?? throw new JsonException("empty document");
            return new(read, StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is damaged ({e.Message}): it keeps the flags of earlier starts; fix it, or delete it and give the node its flags again", e);
        }
    }
}
