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
    /// A number outside 0...65535 can only come from damaged metadata: it stops the restore.
    func adopt(_ tables: [String: Int]) throws {
        for (name, id) in tables {
            guard let table = UInt16(exactly: id) else {
                throw RocksDBError(operation: "restoring state '\(name)'", message: "the checkpoint numbers its table \(id), outside 0...\(UInt16.max): its metadata is damaged; restore an earlier checkpoint")
            }
            tableIDs[name] = table
        }
    }

    /// The number of table `name`, assigned on first use.
    func tableID(of name: String) throws -> UInt16 {
        if let id = tableIDs[name] { return id }
        // One past the highest, not the count: adopted numbers may leave gaps.
        let next = tableIDs.values.max().map { Int($0) + 1 } ?? 0
        guard let id = UInt16(exactly: next) else {
            throw RocksDBError(operation: "registering state '\(name)'", message: "a subtask holds at most \(Int(UInt16.max) + 1) state tables")
        }
        tableIDs[name] = id
        return id
    }
}
