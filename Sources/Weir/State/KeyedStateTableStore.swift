/// The keyed state store of one operator subtask, for every backend: it registers named
/// ``KeyedStateTable``s (checking their types), loads each from the checkpoint being restored
/// when it is first used (only then are its key and value types known), and snapshots them all.
/// Without a column family the tables are the heap's dictionaries; with one (a disk-backed
/// backend such as WeirRocksDB's) each table's entries live in its column.
public final class KeyedStateTableStore: KeyedStateStore {
    /// The key groups this subtask owns.
    public let keyGroups: KeyGroupRange
    /// The number of key groups of the job.
    public let maxParallelism: Int
    @usableFromInline var tables: [String: any SnapshottingTable] = [:]
    @usableFromInline var restoring: [String: [KeyGroupBlob]]
    @usableFromInline let columns: (any KeyedStateColumnFamily)?
    @usableFromInline let cacheCapacity: Int

    /// A store for `keyGroups` of `maxParallelism`, with the tables of a checkpoint
    /// (`restoring`); its tables' entries live in `columns` if given (each table with a cache
    /// of at most `cacheCapacity` decoded values), else in memory.
    public init(keyGroups: KeyGroupRange, maxParallelism: Int, restoring: [String: [KeyGroupBlob]] = [:],
                columns: (any KeyedStateColumnFamily)? = nil, cacheCapacity: Int = 0) {
        self.keyGroups = keyGroups
        self.maxParallelism = maxParallelism
        self.restoring = restoring
        self.columns = columns
        self.cacheCapacity = cacheCapacity
    }

    /// The table named `name`, created (and restored) on first use.
    @inlinable public func table<Key: StreamKey, Value: StateValue>(named name: String, key: Key.Type, value: Value.Type) throws -> KeyedStateTable<Key, Value> {
        if let existing = tables[name] {
            guard let table = existing as? KeyedStateTable<Key, Value> else {
                throw StateError.typeMismatch(name: name, existing: existing.typeDescription, requested: "\(Key.self) -> \(Value.self)")
            }
            return table
        }
        let table: KeyedStateTable<Key, Value>
        if let columns {
            table = KeyedStateTable(name: name, keyGroups: keyGroups, column: try columns.column(named: name), cacheCapacity: cacheCapacity)
        } else {
            table = KeyedStateTable(name: name, keyGroups: keyGroups)
        }
        if let blobs = restoring.removeValue(forKey: name) { try table.restore(blobs) }
        tables[name] = table
        return table
    }

    /// Takes `timers` into the store under `name`: their snapshots and restores go with the
    /// tables'; with a column family they move into its column `name` (with the timers the
    /// backend's own files restored there).
    /// - Throws: ``StateError/typeMismatch(name:existing:requested:)`` if `name` is taken.
    @inlinable func register<Key, Namespace>(_ timers: TimerQueue<Key, Namespace>, named name: String) throws {
        if let existing = tables[name] {
            throw StateError.typeMismatch(name: name, existing: existing.typeDescription, requested: timers.typeDescription)
        }
        timers.maxParallelism = maxParallelism
        if let columns {
            let column = ColumnBackedTimers<Key, Namespace>(name: name, column: try columns.column(named: name), keyGroups: keyGroups, maxParallelism: maxParallelism)
            column.findRestoredTimers()
            timers.column = column
        }
        if let blobs = restoring.removeValue(forKey: name) { try timers.restore(blobs) }
        tables[name] = timers
    }

    /// Every table's snapshot; with a column family that checkpoints its own files, those
    /// (every table's cache written back first).
    public func snapshot() throws -> KeyedStateSnapshot {
        if let columns {
            for table in tables.values { table.writeBack() }
            if let native = try columns.nativeSnapshot() { return KeyedStateSnapshot(keyGroups: keyGroups, tables: [:], native: native) }
        }
        return KeyedStateSnapshot(keyGroups: keyGroups, tables: tables.mapValues { $0.checkpointSnapshot() })
    }
}

/// Type-erased view of a table, for snapshotting all tables of a store.
@usableFromInline protocol SnapshottingTable: AnyObject {
    var typeDescription: String { get }
    func checkpointSnapshot() -> any KeyedStateTableSnapshot
    /// Writes a disk-backed table's cached changes into its column.
    func writeBack()
}

extension KeyedStateTable: SnapshottingTable {
    @inlinable var typeDescription: String { "\(Key.self) -> \(Value.self)" }
    @inlinable func writeBack() { column?.flush() }
}
