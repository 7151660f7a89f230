namespace Backbone.Server.Tests.Cluster;

/// <summary>One key as a member returned it: what must be identical on every member once they agree.</summary>
public readonly record struct StoredKey(string Key, string Value, long CreateRevision, long ModRevision, long Version)
{
    public override string ToString() => $"{Key}={Value} (create {CreateRevision}, mod {ModRevision}, version {Version})";
}
