/// A map from key to value inside a keyed state store, partitioned by key group: one Swift
/// dictionary per key group the subtask owns.
///
/// Callers pass the key group they computed for the key (once per record) so that the table
/// does not hash the key twice. Snapshots are copy-on-write: taking one copies the references
/// to the per-key-group dictionaries, O(key groups); the first write to a key group after a
/// snapshot copies that group, which spreads the copying over the following records instead
/// of stalling the task at the barrier.
///
/// A final class on purpose: operators call it on every record, and only direct calls into a
/// generic class run specialized code.
public final class KeyedStateTable<Key: StreamKey, Value: StateValue> {
    public let name: String
    private let firstKeyGroup: Int
    private var groups: [[Key: Value]]

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

    public func get(_ key: Key, keyGroup: Int) -> Value? { groups[slot(keyGroup)][key] }

    public func set(_ value: Value?, for key: Key, keyGroup: Int) { groups[slot(keyGroup)][key] = value }

    /// Reads and writes the value of `key` in place (no copy of the value when it is unique).
    @inline(__always)
    public func update<R>(_ key: Key, keyGroup: Int, _ body: (inout Value?) throws -> R) rethrows -> R {
        try body(&groups[slot(keyGroup)][key])
    }

    /// Every entry of the table, key group by key group.
    public func forEachEntry(_ body: (Key, Value) throws -> Void) rethrows {
        for group in groups {
            for (key, value) in group { try body(key, value) }
        }
    }

    public var count: Int { groups.reduce(0) { $0 + $1.count } }

    func snapshot() -> HeapKeyedStateTableSnapshot<Key, Value> {
        HeapKeyedStateTableSnapshot(firstKeyGroup: firstKeyGroup, groups: groups)
    }
}
