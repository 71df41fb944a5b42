/// Keeps keyed state in memory, one Swift dictionary per key group (see ``KeyedStateTable``),
/// with copy-on-write snapshots that cost O(key groups) on the task thread.
public struct HeapStateBackend: StateBackend {
    public init() {}

    public func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                                    restoring: [String: [KeyGroupBlob]]) -> any KeyedStateStore {
        HeapKeyedStateStore(keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring)
    }
}

/// The heap backend's store of one operator subtask.
final class HeapKeyedStateStore: KeyedStateStore {
    let keyGroups: KeyGroupRange
    let maxParallelism: Int
    private var tables: [String: any HeapSnapshottingTable] = [:]
    private var restoring: [String: [KeyGroupBlob]]

    init(keyGroups: KeyGroupRange, maxParallelism: Int, restoring: [String: [KeyGroupBlob]] = [:]) {
        self.keyGroups = keyGroups
        self.maxParallelism = maxParallelism
        self.restoring = restoring
    }

    func table<Key: StreamKey, Value: StateValue>(named name: String, key: Key.Type, value: Value.Type) throws -> KeyedStateTable<Key, Value> {
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

    func snapshot() -> KeyedStateSnapshot {
        KeyedStateSnapshot(keyGroups: keyGroups, tables: tables.mapValues { $0.snapshotTable() })
    }
}

/// Type-erased view of a heap table, for snapshotting all tables of a store.
protocol HeapSnapshottingTable: AnyObject {
    var typeDescription: String { get }
    func snapshotTable() -> any KeyedStateTableSnapshot
}

extension KeyedStateTable: HeapSnapshottingTable {
    var typeDescription: String { "\(Key.self) -> \(Value.self)" }
    func snapshotTable() -> any KeyedStateTableSnapshot { snapshot() }
}
