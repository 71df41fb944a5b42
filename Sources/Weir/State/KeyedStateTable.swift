/// A map from key to value inside a keyed state store, partitioned by key group: one Swift
/// dictionary per key group the subtask owns.
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
    public let name: String
    private let firstKeyGroup: Int
    private var groups: [[HashedKey<Key>: Value]]

    init(name: String, keyGroups: KeyGroupRange) {
        self.name = name
        self.firstKeyGroup = keyGroups.start
        self.groups = Array(repeating: [:], count: keyGroups.count)
    }

    @inline(__always)
    private func slot(_ keyGroup: Int) -> Int {
        let slot = keyGroup - firstKeyGroup
        precondition(slot >= 0 && slot < groups.count, "key group \(keyGroup) is not owned by this subtask (\(firstKeyGroup)..<\(firstKeyGroup + groups.count)); is the key selector deterministic?")
        return slot
    }

    public func get(_ key: Key, at position: KeyPosition) -> Value? {
        groups[slot(position.keyGroup)][HashedKey(key, hash: position.hash)]
    }

    public func set(_ value: Value?, for key: Key, at position: KeyPosition) {
        groups[slot(position.keyGroup)][HashedKey(key, hash: position.hash)] = value
    }

    /// Reads and writes the value of `key` in place (no copy of the value when it is unique).
    @inline(__always)
    public func update<R>(_ key: Key, at position: KeyPosition, _ body: (inout Value?) throws -> R) rethrows -> R {
        try body(&groups[slot(position.keyGroup)][HashedKey(key, hash: position.hash)])
    }

    /// Every entry of the table, key group by key group.
    public func forEachEntry(_ body: (Key, Value) throws -> Void) rethrows {
        for group in groups {
            for (key, value) in group { try body(key.key, value) }
        }
    }

    public var count: Int { groups.reduce(0) { $0 + $1.count } }

    /// Loads entries of a checkpoint; blobs of key groups this subtask does not own are an error.
    func restore(_ blobs: [KeyGroupBlob]) throws {
        let decoder = BinaryStateDecoder()
        for blob in blobs {
            let slot = blob.keyGroup - firstKeyGroup
            guard slot >= 0 && slot < groups.count else {
                throw StateError.keyGroupNotOwned(keyGroup: blob.keyGroup, owned: KeyGroupRange(start: firstKeyGroup, end: firstKeyGroup + groups.count - 1))
            }
            for entry in try decoder.decode([StoredEntry<Key, Value>].self, from: blob.bytes) {
                groups[slot][HashedKey(entry.key, hash: entry.hash)] = entry.value
            }
        }
    }

    func snapshot() -> HeapKeyedStateTableSnapshot<Key, Value> {
        HeapKeyedStateTableSnapshot(firstKeyGroup: firstKeyGroup, groups: groups)
    }
}

/// Where a key's state lives: the key's stable hash and its key group.
public struct KeyPosition: Sendable, Hashable {
    /// The hash the table uses for the entry (the key's stable hash, or one derived from it
    /// for composite entries such as a key's window).
    public var hash: UInt64
    /// The key group of the key (always derived from the key's own stable hash).
    public var keyGroup: Int

    @inline(__always)
    public init(hash: UInt64, keyGroup: Int) {
        self.hash = hash
        self.keyGroup = keyGroup
    }

    /// The position of `key` among `maxParallelism` key groups.
    @inline(__always)
    public init<Key: StableHashable>(of key: Key, maxParallelism: Int) {
        let hash = key.stableHashValue
        self.init(hash: hash, keyGroup: Int(truncatingIfNeeded: hash % UInt64(maxParallelism)))
    }
}
