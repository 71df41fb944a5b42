/// The storage a disk-backed state backend gives one state table of one operator subtask: bytes
/// under byte keys, partitioned by key group.
///
/// Weir's side of the seam stays generic and typed (``KeyedStateTable`` encodes keys and values
/// with ``BinaryStateEncoder`` and keeps a write-back cache of decoded values in front of the
/// column), so a backend only stores bytes: WeirRocksDB's `RocksDBStateBackend` lays each
/// column out in one RocksDB instance per subtask, key group first.
///
/// A column is used from the task's thread only; its snapshots are read from the checkpoint
/// writer's thread.
public protocol KeyedStateColumn: AnyObject {
    /// The bytes stored under `key` in `keyGroup`, or `nil`.
    func read(keyGroup: Int, key: [UInt8]) throws -> [UInt8]?
    /// Applies `writes` (a `nil` value removes the key) at once.
    func write(_ writes: [KeyedStateColumnWrite]) throws
    /// Calls `body` with every key and value of `keyGroup`, in the column's current state. The
    /// bytes are the backend's own, valid only during the call: nothing is copied per entry
    /// (a checkpoint scans every entry).
    func forEach(keyGroup: Int, _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void) throws
    /// Calls `body` with the keys of `keyGroup` not below `start`, in ascending byte order, and
    /// their values, until it returns `false`: how timers, whose keys begin with their
    /// timestamp, are read earliest first. The default sorts what ``forEach(keyGroup:_:)``
    /// returns (correct for any column, slow); an ordered store seeks.
    func scan(keyGroup: Int, from start: [UInt8], _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws
    /// A consistent view of the column as it is now, unaffected by later writes, cheap to take
    /// (the task thread takes it at the barrier) and readable from another thread.
    func snapshot() throws -> any KeyedStateColumnSnapshot
}

extension KeyedStateColumn {
    public func scan(keyGroup: Int, from start: [UInt8], _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        var entries: [(key: [UInt8], value: [UInt8])] = []
        try forEach(keyGroup: keyGroup) { key, value in
            if !key.lexicographicallyPrecedes(start) { entries.append((Array(key), Array(value))) }
        }
        entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
        for entry in entries {
            let goOn = try entry.key.withUnsafeBytes { key in try entry.value.withUnsafeBytes { value in try body(key, value) } }
            if !goOn { return }
        }
    }
}

/// A point-in-time view of a ``KeyedStateColumn``.
public protocol KeyedStateColumnSnapshot: Sendable {
    /// Calls `body` with every key and value the column held in `keyGroup` when the snapshot
    /// was taken (bytes valid only during the call, as in ``KeyedStateColumn/forEach(keyGroup:_:)``).
    func forEach(keyGroup: Int, _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void) throws
}

extension KeyedStateColumnSnapshot {
    /// How many entries the snapshot holds in `keyGroups` (reads every entry: for tests and
    /// inspection, not for the checkpoint path).
    @inlinable public func entryCount(in keyGroups: KeyGroupRange) -> Int {
        var count = 0
        for keyGroup in keyGroups.start...keyGroups.end {
            try? forEach(keyGroup: keyGroup) { _, _ in count += 1 }
        }
        return count
    }
}

/// One write to a ``KeyedStateColumn``: `value` stored under `key` in `keyGroup`, or the key
/// removed if `value` is `nil`.
public struct KeyedStateColumnWrite: Sendable {
    /// The key group the key belongs to.
    public var keyGroup: Int
    /// The encoded key.
    public var key: [UInt8]
    /// The encoded value, or `nil` to remove the key.
    public var value: [UInt8]?

    /// A write of `value` (or a removal) under `key` of `keyGroup`.
    @inlinable public init(keyGroup: Int, key: [UInt8], value: [UInt8]?) {
        self.keyGroup = keyGroup
        self.key = key
        self.value = value
    }
}

/// What a disk-backed backend opens for one operator subtask: its columns, one per state table.
/// ``KeyedStateTableStore`` turns it into a ``KeyedStateStore``.
public protocol KeyedStateColumnFamily: AnyObject {
    /// The column of the table named `name`, created empty on first use.
    func column(named name: String) throws -> any KeyedStateColumn

    /// The backend's own checkpoint of every column (called after each table wrote its cache
    /// back), or `nil` to have each table's entries written per key group (a full checkpoint).
    /// Default: `nil`.
    func nativeSnapshot() throws -> (any NativeKeyedStateSnapshot)?
}

extension KeyedStateColumnFamily {
    public func nativeSnapshot() throws -> (any NativeKeyedStateSnapshot)? { nil }
}

/// A failure of a disk-backed state backend while a record was processed (a read or write of
/// the local store failed): the task fails, and the job restarts from its last checkpoint.
public struct KeyedStateColumnError: Error, CustomStringConvertible {
    /// The table whose column failed.
    public var table: String
    /// What failed.
    public var underlying: any Error

    /// A failure of the column of `table`.
    public init(table: String, underlying: any Error) {
        self.table = table
        self.underlying = underlying
    }

    /// Stops the process with the failure of `table`'s column and what to do (state and timer
    /// calls cannot throw): the job restores its last completed checkpoint when started again.
    @usableFromInline static func stop(table: String, _ underlying: any Error) -> Never {
        fatalError("\(KeyedStateColumnError(table: table, underlying: underlying)) when the job is started again (weir run --resume, or env.execute with the same checkpoint directory)")
    }

    /// What failed, and what happens next.
    public var description: String {
        "state '\(table)': the state backend failed (\(underlying)); the job restarts from its last completed checkpoint"
    }
}
