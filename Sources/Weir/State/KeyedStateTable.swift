/// A map from key to value inside a keyed state store, partitioned by key group: one Swift
/// dictionary per key group the subtask owns, or, with a disk-backed backend, a
/// ``KeyedStateColumn`` behind a bounded cache of decoded values (operators call the same
/// methods either way; the branch is one predictable test of a stored constant).
///
/// Callers pass the key's stable hash and key group, computed once per record (see
/// ``KeyPosition``), so that neither is computed twice. Snapshots are copy-on-write: taking
/// one copies the references to the per-key-group dictionaries, O(key groups); the first write
/// to a key group after a snapshot copies that group, which spreads the copying over the
/// following records instead of stalling the task at the barrier.
///
/// A final class on purpose: operators call it on every record, and only direct calls into a
/// generic class run specialized code.
public final class KeyedStateTable<Key: StreamKey, Value: StateValue> {
    /// The state's name (part of the checkpoint format).
    public let name: String
    @usableFromInline let firstKeyGroup: Int
    @usableFromInline let groups: TaskConfined<[[HashedKey<Key>: Value]]>
    /// Where the entries live instead of `groups` with a disk-backed backend.
    @usableFromInline let column: ColumnBackedTable<Key, Value>?

    @inlinable init(name: String, keyGroups: KeyGroupRange) {
        self.name = name
        self.firstKeyGroup = keyGroups.start
        self.groups = TaskConfined(Array(repeating: [:], count: keyGroups.count))
        self.column = nil
    }

    /// A table whose entries live in `column` (a disk-backed backend's), with a write-back
    /// cache of at most `cacheCapacity` decoded values in front of it.
    @inlinable public init(name: String, keyGroups: KeyGroupRange, column: any KeyedStateColumn, cacheCapacity: Int) {
        self.name = name
        self.firstKeyGroup = keyGroups.start
        self.groups = TaskConfined([])
        self.column = ColumnBackedTable(name: name, column: column, keyGroups: keyGroups, capacity: cacheCapacity)
    }

    @inline(__always)
    @inlinable func slot(_ keyGroup: Int) -> Int {
        let slot = keyGroup - firstKeyGroup
        precondition(slot >= 0 && slot < groups.value.count, "key group \(keyGroup) is not owned by this subtask (\(firstKeyGroup)..<\(firstKeyGroup + groups.value.count)); is the key selector deterministic?")
        return slot
    }

    /// The value of `key`, found at `position` (its key group and hash).
    @inlinable public func get(_ key: Key, at position: KeyPosition) -> Value? {
        if let column { return column.get(key, at: position) }
        return groups.value[slot(position.keyGroup)][HashedKey(key, hash: position.hash)]
    }

    /// Stores `value` for `key` (`nil` removes it).
    @inlinable public func set(_ value: Value?, for key: Key, at position: KeyPosition) {
        if let column { return column.set(value, for: key, at: position) }
        groups.value[slot(position.keyGroup)][HashedKey(key, hash: position.hash)] = value
    }

    /// Reads and writes the value of `key` in place (no copy of the value when it is unique).
    @inline(__always)
    @inlinable public func update<R>(_ key: Key, at position: KeyPosition, _ body: (inout Value?) throws -> R) rethrows -> R {
        if let column { return try column.update(key, at: position, body) }
        return try body(&groups.value[slot(position.keyGroup)][HashedKey(key, hash: position.hash)])
    }

    /// Every entry of the table, key group by key group.
    @inlinable public func forEachEntry(_ body: (Key, Value) throws -> Void) rethrows {
        if let column { return try column.forEachEntry(body) }
        for group in groups.value {
            for (key, value) in group { try body(key.key, value) }
        }
    }

    /// How many keys hold a value, over all key groups of the subtask.
    /// (With a disk-backed backend this reads every entry: for tests and inspection.)
    @inlinable public var count: Int { column?.count ?? groups.value.reduce(0) { $0 + $1.count } }

    /// Loads entries of a checkpoint; blobs of key groups this subtask does not own are an error.
    @inlinable public func restore(_ blobs: [KeyGroupBlob]) throws {
        let decoder = BinaryStateDecoder()
        for blob in blobs {
            if let column {
                guard column.keyGroups.contains(blob.keyGroup) else { throw StateError.keyGroupNotOwned(keyGroup: blob.keyGroup, owned: column.keyGroups) }
                try column.restore(blob)
                continue
            }
            let slot = blob.keyGroup - firstKeyGroup
            guard slot >= 0 && slot < groups.value.count else {
                throw StateError.keyGroupNotOwned(keyGroup: blob.keyGroup, owned: KeyGroupRange(start: firstKeyGroup, end: firstKeyGroup + groups.value.count - 1))
            }
            for entry in try decoder.decode([StoredEntry<Key, Value>].self, from: blob.bytes) {
                groups.value[slot][HashedKey(entry.key, hash: entry.hash)] = entry.value
            }
        }
    }

    /// A consistent copy of the table for a checkpoint, cheap on the task thread: the heap's
    /// dictionaries copy-on-write, or the column's own snapshot once the cache is written out.
    @inlinable public func checkpointSnapshot() -> any KeyedStateTableSnapshot {
        if let column { return column.snapshot() }
        return HeapKeyedStateTableSnapshot(firstKeyGroup: firstKeyGroup, groups: groups.value)
    }

    deinit { groups.release() }
}

/// Where a key's state lives: the key's stable hash and its key group.
public struct KeyPosition: Sendable, Hashable {
    /// The hash the table uses for the entry (the key's stable hash, or one derived from it
    /// for composite entries such as a key's window).
    public var hash: UInt64
    /// The key group of the key (always derived from the key's own stable hash).
    public var keyGroup: Int

    /// A position from a key's stable hash and its key group.
    @inline(__always)
    public init(hash: UInt64, keyGroup: Int) {
        self.hash = hash
        self.keyGroup = keyGroup
    }

    /// The position of `key` among `maxParallelism` key groups.
    @inline(__always)
    @inlinable public init<Key: StableHashable>(of key: Key, maxParallelism: Int) {
        let hash = key.stableHashValue
        self.init(hash: hash, keyGroup: Int(truncatingIfNeeded: hash % UInt64(maxParallelism)))
    }
}
