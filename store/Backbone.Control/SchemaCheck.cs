namespace Backbone.Control;

/// <summary>Refuses records written by a newer node: reading them as this version would drop what this version does not know.</summary>
public static class SchemaCheck
{
    public static T Checked<T>(T record, Func<T, int> schema, int current, Func<T, string> describe) =>
        schema(record) <= current
            ? record
            : throw new InvalidDataException($"{describe(record)} was written with schema {schema(record)}, newer than this node understands ({current}): upgrade this node");
}
