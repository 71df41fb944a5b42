import Weir

/// Keeps keyed state in RocksDB on local disk, so that state can be much larger than memory:
/// one RocksDB instance per keyed operator subtask, in a directory of its own under
/// ``localDirectory``, deleted when the subtask ends.
///
/// Every state kind (value, list, map, reducing state, window contents and accumulators) is a
/// `KeyedStateTable` whose entries live in RocksDB; operators are the same as on the heap
/// backend (`env.stateBackend = RocksDBStateBackend()` is the whole switch). Keys are laid out
/// key group first (`key group, table, key`), so that the state of a range of key groups is one
/// contiguous range of RocksDB's keys.
///
/// Checkpoints are full and in the heap backend's format (per key group), written from a
/// RocksDB snapshot off the task thread: a job restores from them on either backend and at
/// any parallelism. The local instance is scratch: RocksDB's write-ahead log is off, because a
/// crash restores from the last completed checkpoint, never from the local files.
///
/// Memory: the block cache (shared by all instances the backend opens), two write buffers per
/// instance, and per state table a cache of at most ``cachedEntriesPerTable`` decoded values.
public struct RocksDBStateBackend: StateBackend {
    /// Where the subtasks' instances live (`<localDirectory>/<operator>-<subtask>-pid<pid>-<n>`).
    public var localDirectory: String
    /// Decoded values each state table keeps in memory in front of RocksDB (written back at
    /// the latest at each checkpoint).
    public var cachedEntriesPerTable: Int
    /// The size of one RocksDB write buffer (memtable); each instance has at most two.
    public var writeBufferBytes: Int
    let resources: RocksDBSharedResources

    /// A RocksDB backend with instances under `localDirectory` (default: `weir-rocksdb` in the
    /// system's temporary directory), a block cache of `blockCacheBytes` shared by all of them.
    public init(localDirectory: String? = nil, blockCacheBytes: Int = 64 << 20, writeBufferBytes: Int = 16 << 20,
                cachedEntriesPerTable: Int = 16_384) {
        self.localDirectory = localDirectory ?? RocksDBDirectories.defaultRoot
        self.writeBufferBytes = writeBufferBytes
        self.cachedEntriesPerTable = cachedEntriesPerTable
        self.resources = RocksDBSharedResources(blockCacheBytes: blockCacheBytes)
    }

    /// Opens a RocksDB instance for the subtask and loads the checkpoint's tables into it as
    /// the operator first uses them.
    /// - Throws: ``RocksDBError`` if the directory cannot be made or RocksDB does not open;
    ///   `maxParallelism` above 65,536 (the key group takes two bytes of every key).
    public func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                                    restoring: [String: [KeyGroupBlob]]) throws -> any KeyedStateStore {
        guard maxParallelism <= 1 << 16 else {
            throw RocksDBError(operation: "opening the state of \(location)", message: "maxParallelism \(maxParallelism) is above 65536, the most the RocksDB backend's key layout holds; lower env.maxParallelism")
        }
        let directory = try RocksDBDirectories.makeInstanceDirectory(in: localDirectory, for: location)
        let instance = try RocksDBInstance(path: directory, writeBufferBytes: writeBufferBytes, resources: resources)
        return KeyedStateTableStore(keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring,
                                    columns: RocksDBColumnFamily(instance: instance), cacheCapacity: cachedEntriesPerTable)
    }
}
