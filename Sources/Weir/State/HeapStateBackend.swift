/// Keeps keyed state in memory, one Swift dictionary per key group (see ``KeyedStateTable``),
/// with copy-on-write snapshots that cost O(key groups) on the task thread.
public struct HeapStateBackend: StateBackend {
    /// The heap backend.
    public init() {}

    /// A store of dictionaries for one operator subtask, loaded from `restoring`.
    public func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                                    restoring: [String: [KeyGroupBlob]]) -> any KeyedStateStore {
        HeapKeyedStateStore(keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring)
    }
}

/// The heap backend's store of one operator subtask.
@usableFromInline final class HeapKeyedStateStore: KeyedStateStore {
    @usableFromInline let keyGroups: KeyGroupRange
    @usableFromInline let maxParallelism: Int
    @usableFromInline var tables: [String: any HeapSnapshottingTable] = [:]
    @usableFromInline var restoring: [String: [KeyGroupBlob]]

    @usableFromInline init(keyGroups: KeyGroupRange, maxParallelism: Int, restoring: [String: [KeyGroupBlob]] = [:]) {
        self.keyGroups = keyGroups
        self.maxParallelism = maxParallelism
        self.restoring = restoring
    }

    @inlinable func table<Key: StreamKey, Value: StateValue>(named name: String, key: Key.Type, value: Value.Type) throws -> KeyedStateTable<Key, Value> {
        if let existing = tables[name] {
            guard let table = existing as? KeyedStateTable<Key, Value> else {
                throw StateError.typeMismatch(name: name, existing: existing.typeDescription, requested: "\(Key.self) -> \(Value.self)")
            }
            return table
        }
        let table = KeyedStateTable<Key, Value>(name: name, keyGroups: keyGroups)
        if let blobs = restoring.removeValue(forKey: name) { try table.restore(blobs) }
        tables[name] = table
        return table
    }

    @usableFromInline func snapshot() -> KeyedStateSnapshot {
        KeyedStateSnapshot(keyGroups: keyGroups, tables: tables.mapValues { $0.snapshotTable() })
    }
}

/// Type-erased view of a heap table, for snapshotting all tables of a store.
@usableFromInline protocol HeapSnapshottingTable: AnyObject {
    var typeDescription: String { get }
    func snapshotTable() -> any KeyedStateTableSnapshot
}

extension KeyedStateTable: HeapSnapshottingTable {
    @inlinable var typeDescription: String { "\(Key.self) -> \(Value.self)" }
    @inlinable func snapshotTable() -> any KeyedStateTableSnapshot { snapshot() }
}
