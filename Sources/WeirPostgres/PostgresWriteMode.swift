/// How a ``PostgresSink`` puts its rows into the table.
public enum PostgresWriteMode: Sendable, Hashable {
    /// `INSERT`: every row is a new row (an event log, window results with a unique key).
    case append
    /// `INSERT … ON CONFLICT (keyColumns) DO UPDATE`: a row replaces the one with the same key
    /// (the latest aggregate per key). The key columns need a unique index or primary key.
    /// Within one batch only the last row of a key is sent (PostgreSQL refuses to update a row
    /// twice in one statement), which is the same result.
    case upsert(keyColumns: [String])
}
