namespace Backbone.Store.Log;

/// <summary>One durable command: its position in the log and its MessagePack bytes.</summary>
public readonly record struct LogEntry(long Index, ReadOnlyMemory<byte> Payload);
