import Weir

/// The state tables of one subtask in its RocksDB instance: each table is a number (assigned
/// in the order the operator registers them) that follows the key group in every key.
final class RocksDBColumnFamily: KeyedStateColumnFamily {
    let instance: RocksDBInstance
    private var tableIDs: [String: UInt16] = [:]

    init(instance: RocksDBInstance) { self.instance = instance }

    func column(named name: String) throws -> any KeyedStateColumn {
        if let id = tableIDs[name] { return RocksDBColumn(instance: instance, table: id) }
        guard tableIDs.count < Int(UInt16.max) else {
            throw RocksDBError(operation: "registering state '\(name)'", message: "a subtask holds at most \(UInt16.max) state tables")
        }
        let id = UInt16(tableIDs.count)
        tableIDs[name] = id
        return RocksDBColumn(instance: instance, table: id)
    }
}
