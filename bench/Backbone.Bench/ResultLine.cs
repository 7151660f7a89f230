using System.Globalization;
using System.Text;

namespace Backbone.Bench;

/// <summary>
/// One machine-readable result: <c>RESULT key=value key=value ...</c> on one line (values never
/// hold spaces). bench/run.sh collects these lines; <see cref="ReportWriter"/> reads them back.
/// </summary>
public sealed class ResultLine
{
    public const string Prefix = "RESULT ";

    private readonly List<KeyValuePair<string, string>> fields = [];

    public ResultLine Add(string key, string value)
    {
        if (value.Contains(' ', StringComparison.Ordinal) || value.Length == 0)
        {
            throw new ArgumentException($"result field {key} must be one word, got '{value}'", nameof(value));
        }

        fields.Add(new(key, value));
        return this;
    }

    public ResultLine Add(string key, long value) => Add(key, value.ToString(CultureInfo.InvariantCulture));

    public ResultLine Add(string key, double value, string format) =>
        Add(key, double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "nan");

    public override string ToString()
    {
        var text = new StringBuilder(Prefix);
        foreach (KeyValuePair<string, string> field in fields)
        {
            text.Append(field.Key).Append('=').Append(field.Value).Append(' ');
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>The fields of a <c>RESULT</c> line, or null when the line is something else.</summary>
    public static Dictionary<string, string>? Parse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string word in line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[word[..eq]] = word[(eq + 1)..];
            }
        }

        return result;
    }
}
