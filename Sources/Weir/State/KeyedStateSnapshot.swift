/// A consistent, immutable copy of an operator subtask's keyed state at one point of its input.
///
/// It is a value: reading it from another thread while the task keeps mutating its state is
/// safe, which is what lets checkpoints serialize state asynchronously.
public struct KeyedStateSnapshot: Sendable {
    /// The key groups the snapshot covers.
    public var keyGroups: KeyGroupRange
    /// Each state table's snapshot, by state name (empty when ``native`` holds them).
    public var tables: [String: any KeyedStateTableSnapshot]
    /// Every table in the backend's own files, for a backend that checkpoints those
    /// (WeirRocksDB's incremental checkpoints); `nil` otherwise.
    public var native: (any NativeKeyedStateSnapshot)?

    /// A snapshot of `keyGroups` with `tables` (or with all of them in `native`).
    public init(keyGroups: KeyGroupRange, tables: [String: any KeyedStateTableSnapshot], native: (any NativeKeyedStateSnapshot)? = nil) {
        self.keyGroups = keyGroups
        self.tables = tables
        self.native = native
    }

    /// The entries of table `name` as a dictionary, or `nil` if there is no such table of
    /// those types.
    /// (A disk-backed table's snapshot is read entry by entry: for tests and inspection.)
    @inlinable public func entries<Key: StreamKey, Value: StateValue>(of name: String, as: [Key: Value].Type = [Key: Value].self) throws -> [Key: Value]? {
        var all: [Key: Value] = [:]
        if let table = tables[name] as? HeapKeyedStateTableSnapshot<Key, Value> {
            for group in table.groups { for (key, value) in group { all[key.key] = value } }
        } else if let table = tables[name] as? ColumnTableSnapshot<Key, Value> {
            try table.forEachEntry { all[$0.key] = $0.value }
        } else {
            return nil
        }
        return all
    }
}

/// One keyed part of a snapshot (a state table, an operator's timers): immutable, and
/// serialized per key group off the task thread.
public protocol KeyedStateTableSnapshot: Sendable {
    /// How many keys the snapshot holds.
    var entryCount: Int { get }
    /// The entries, encoded per key group (empty key groups left out).
    func serializeKeyGroups() throws -> [KeyGroupBlob]
}

/// One state table entry as stored: the key, the hash the table files it under, the value.
/// Encoded by position (an unkeyed container of three), not by field name: this framing is
/// Weir's own and fixed, and it is written for every entry at every checkpoint.
@usableFromInline struct StoredEntry<Key: Codable, Value: Codable>: Codable {
    @usableFromInline var key: Key
    @usableFromInline var hash: UInt64
    @usableFromInline var value: Value

    @inlinable init(key: Key, hash: UInt64, value: Value) {
        self.key = key
        self.hash = hash
        self.value = value
    }

    @inlinable init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        key = try container.decode(Key.self)
        hash = try container.decode(UInt64.self)
        value = try container.decode(Value.self)
    }

    @inlinable func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(key)
        try container.encode(hash)
        try container.encode(value)
    }
}

@usableFromInline struct HeapKeyedStateTableSnapshot<Key: StreamKey, Value: StateValue>: KeyedStateTableSnapshot {
    @usableFromInline init(firstKeyGroup: Int, groups: [[HashedKey<Key>: Value]]) { self.firstKeyGroup = firstKeyGroup; self.groups = groups }
    @usableFromInline let firstKeyGroup: Int
    @usableFromInline let groups: [[HashedKey<Key>: Value]]

    @inlinable var entryCount: Int { groups.reduce(0) { $0 + $1.count } }

    @inlinable func serializeKeyGroups() throws -> [KeyGroupBlob] {
        let encoder = BinaryStateEncoder()
        return try groups.enumerated().compactMap { index, group in
            guard !group.isEmpty else { return nil }
            let entries = group.map { StoredEntry(key: $0.key.key, hash: $0.key.hash, value: $0.value) }
            return KeyGroupBlob(keyGroup: firstKeyGroup + index, bytes: try encoder.encode(entries))
        }
    }
}
