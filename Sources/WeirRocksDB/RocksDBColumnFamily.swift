import Weir

/// The state tables of one subtask in its RocksDB instance: each table is a number (assigned
/// in the order the operator registers them) that follows the key group in every key.
final class RocksDBColumnFamily: KeyedStateColumnFamily {
    let instance: RocksDBInstance
    let keyGroups: KeyGroupRange
    /// Set with incremental checkpoints: the SST files this instance has uploaded.
    let uploaded: RocksDBUploadedFiles?
    private var tableIDs: [String: UInt16] = [:]
    private var checkpoints = 0

    init(instance: RocksDBInstance, keyGroups: KeyGroupRange, incremental: Bool) {
        self.instance = instance
        self.keyGroups = keyGroups
        self.uploaded = incremental ? RocksDBUploadedFiles() : nil
    }

    /// With incremental checkpoints, the instance's files at this barrier; else `nil` (full
    /// checkpoints per key group, in the heap's format).
    func nativeSnapshot() throws -> (any NativeKeyedStateSnapshot)? {
        guard let uploaded else { return nil }
        checkpoints += 1
        return try RocksDBIncrementalSnapshot(instance: instance, directory: instance.path + "-checkpoint-\(checkpoints)", keyGroups: keyGroups,
                                              tables: tableIDs.mapValues { Int($0) }, uploaded: uploaded)
    }

    func column(named name: String) throws -> any KeyedStateColumn {
        RocksDBColumn(instance: instance, table: try tableID(of: name))
    }

    /// Adopts the table numbers of files restored as they are.
    func adopt(_ tables: [String: Int]) {
        for (name, id) in tables { tableIDs[name] = UInt16(id) }
    }

    /// The number of table `name`, assigned on first use.
    func tableID(of name: String) throws -> UInt16 {
        if let id = tableIDs[name] { return id }
        guard tableIDs.count < Int(UInt16.max) else {
            throw RocksDBError(operation: "registering state '\(name)'", message: "a subtask holds at most \(UInt16.max) state tables")
        }
        let id = UInt16((tableIDs.values.max().map { Int($0) + 1 }) ?? 0)
        tableIDs[name] = id
        return id
    }
}
