import Weir

/// One state table in a subtask's RocksDB instance. Its keys are
/// `key group (2 bytes, big-endian) · table (2 bytes, big-endian) · encoded key`: all tables of
/// a key group are adjacent, and one table's entries of one key group are one prefix.
final class RocksDBColumn: KeyedStateColumn {
    let instance: RocksDBInstance
    let table: UInt16

    init(instance: RocksDBInstance, table: UInt16) {
        self.instance = instance
        self.table = table
    }

    func read(keyGroup: Int, key: [UInt8]) throws -> [UInt8]? {
        try instance.get(Self.key(keyGroup: keyGroup, table: table, key))
    }

    func write(_ writes: [KeyedStateColumnWrite]) throws {
        let batch = RocksDBWriteBatch()
        for write in writes {
            let key = Self.key(keyGroup: write.keyGroup, table: table, write.key)
            if let value = write.value { batch.put(key, value) } else { batch.delete(key) }
        }
        try instance.write(batch)
    }

    func forEach(keyGroup: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try Self.forEach(in: instance, keyGroup: keyGroup, table: table, at: nil, body)
    }

    /// A seek to `start` in the key group's range of this table (timers read earliest first).
    func scan(keyGroup: Int, from start: [UInt8], _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        let prefix = UInt32(keyGroup) << 16 | UInt32(table)
        try instance.scan(from: Self.bigEndian(prefix) + start, to: Self.bigEndian(prefix + 1), fillCache: true) { key, value in
            try body(UnsafeRawBufferPointer(rebasing: key.dropFirst(4)), value)
        }
    }

    func snapshot() throws -> any KeyedStateColumnSnapshot {
        RocksDBColumnSnapshot(snapshot: instance.snapshot(), table: table)
    }

    static func forEach(in instance: RocksDBInstance, keyGroup: Int, table: UInt16, at snapshot: RocksDBSnapshot?,
                        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        let prefix = UInt32(keyGroup) << 16 | UInt32(table)
        try instance.forEach(from: bigEndian(prefix), to: bigEndian(prefix + 1), at: snapshot) { key, value in
            try body(UnsafeRawBufferPointer(rebasing: key.dropFirst(4)), value)
        }
    }

    static func key(keyGroup: Int, table: UInt16, _ key: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + key.count)
        bytes.append(UInt8(truncatingIfNeeded: keyGroup >> 8))
        bytes.append(UInt8(truncatingIfNeeded: keyGroup))
        bytes.append(UInt8(truncatingIfNeeded: table >> 8))
        bytes.append(UInt8(truncatingIfNeeded: table))
        bytes.append(contentsOf: key)
        return bytes
    }

    /// `value` as 4 big-endian bytes (table numbers stop below 65535, so `prefix + 1` fits).
    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}

/// A state table's entries in a RocksDB snapshot, read by the checkpoint writer.
struct RocksDBColumnSnapshot: KeyedStateColumnSnapshot {
    let snapshot: RocksDBSnapshot
    let table: UInt16

    func forEach(keyGroup: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try RocksDBColumn.forEach(in: snapshot.instance, keyGroup: keyGroup, table: table, at: snapshot, body)
    }
}
