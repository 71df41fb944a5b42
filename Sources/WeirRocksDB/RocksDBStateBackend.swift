import Foundation
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
/// Checkpoints are incremental by default (``incrementalCheckpoints``): at a barrier the
/// instance's files are hard-linked into a RocksDB checkpoint, and off the task thread only the
/// SST files no earlier checkpoint of this instance uploaded go to the storage's shared area;
/// the engine deletes a shared file when no retained checkpoint references it. After a restore
/// the instance is new, so its first checkpoint uploads everything (a full one). With
/// `incrementalCheckpoints: false` checkpoints are full and in the heap backend's format (per
/// key group), written from a RocksDB snapshot: a job restores from them on either backend.
/// Both kinds restore at any parallelism. The local instance is scratch: RocksDB's write-ahead log is off, because a
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
    /// Whether checkpoints are incremental (the default): RocksDB's own files, each SST file
    /// uploaded once and referenced by later checkpoints, so that a checkpoint writes what
    /// changed, not the whole state. Such a checkpoint restores only on this backend (at any
    /// parallelism). `false` writes full checkpoints in the heap backend's format, which either
    /// backend restores (to move a job between backends).
    public var incrementalCheckpoints: Bool
    let resources: RocksDBSharedResources

    /// A RocksDB backend with instances under `localDirectory` (default: `weir-rocksdb` in the
    /// system's temporary directory), a block cache of `blockCacheBytes` shared by all of them.
    public init(localDirectory: String? = nil, blockCacheBytes: Int = 64 << 20, writeBufferBytes: Int = 16 << 20,
                cachedEntriesPerTable: Int = 16_384, incrementalCheckpoints: Bool = true) {
        self.incrementalCheckpoints = incrementalCheckpoints
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
        try makeKeyedStateStore(for: location, keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring, native: [], sharedFiles: nil)
    }

    /// Restores also the RocksDB files of an incremental checkpoint: used as they are when one
    /// handle holds exactly this subtask's key groups (the same parallelism), else the key
    /// groups this subtask owns are copied out of every overlapping handle (a rescale).
    public func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                                    restoring: [String: [KeyGroupBlob]], native: [NativeKeyedStateHandle],
                                    sharedFiles: SharedStateFiles?) throws -> any KeyedStateStore {
        guard maxParallelism <= 1 << 16 else {
            throw RocksDBError(operation: "opening the state of \(location)", message: "maxParallelism \(maxParallelism) is above 65536, the most the RocksDB backend's key layout holds; lower env.maxParallelism")
        }
        for handle in native where handle.format != RocksDBIncrementalSnapshot.format {
            throw RocksDBError(operation: "restoring \(location)", message: "the checkpoint holds state in '\(handle.format)' files, which this backend does not read")
        }
        for handle in native where handle.stateFormat != NativeKeyedStateHandle.currentStateFormat {
            let written = handle.stateFormat.map { "state format \($0)" } ?? "Weir's first state format (field names, fixed-width lengths)"
            throw RocksDBError(operation: "restoring \(location)", message: "the checkpoint's RocksDB files are in \(written), whose keys this Weir (state format \(NativeKeyedStateHandle.currentStateFormat)) encodes differently, so lookups would miss them; run the job once more with the Weir that wrote the checkpoint and RocksDBStateBackend(incrementalCheckpoints: false) (weir run --state-backend rocksdb --rocksdb-checkpoints full) until it completes a checkpoint: full checkpoints are in the heap format, which this Weir restores")
        }
        guard native.isEmpty || sharedFiles != nil else {
            throw RocksDBError(operation: "restoring \(location)", message: "the checkpoint's shared files are not reachable")
        }
        let directory = try RocksDBDirectories.makeInstanceDirectory(in: localDirectory, for: location)
        // Files restored as they are: one handle with exactly this subtask's key groups.
        let adopted = native.count == 1 && native[0].keyGroups == keyGroups ? native[0] : nil
        if let adopted, let sharedFiles { try Self.download(adopted, into: directory, from: sharedFiles) }
        let instance = try RocksDBInstance(path: directory, writeBufferBytes: writeBufferBytes, resources: resources)
        let family = RocksDBColumnFamily(instance: instance, keyGroups: keyGroups, incremental: incrementalCheckpoints)
        if let adopted {
            try family.adopt(adopted.tables)
        } else if let sharedFiles {
            for (index, handle) in native.enumerated() {
                let source = directory + "-restore-\(index)"
                try Self.download(handle, into: source, from: sharedFiles)
                let restored = try RocksDBInstance(path: source, writeBufferBytes: 1 << 20, resources: resources)
                try Self.copy(handle, from: restored, keyGroups: keyGroups.intersection(handle.keyGroups), into: family)
            }
        }
        return KeyedStateTableStore(keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring,
                                    columns: family, cacheCapacity: cachedEntriesPerTable)
    }

    /// Writes a handle's files into `directory` (created).
    static func download(_ handle: NativeKeyedStateHandle, into directory: String, from sharedFiles: SharedStateFiles) throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw RocksDBError(operation: "creating \(directory) for a restore", message: "\(error)")
        }
        for file in handle.sharedFiles { try sharedFiles.download(file, to: directory + "/" + file.localName) }
        for file in handle.privateFiles {
            guard FileManager.default.createFile(atPath: directory + "/" + file.localName, contents: Data(file.bytes)) else {
                throw RocksDBError(operation: "restoring \(directory)/\(file.localName)", message: "cannot write the file")
            }
        }
    }

    /// Copies the entries of `keyGroups` from a restored instance, renumbering its tables.
    static func copy(_ handle: NativeKeyedStateHandle, from source: RocksDBInstance, keyGroups: KeyGroupRange, into family: RocksDBColumnFamily) throws {
        guard keyGroups.count > 0 else { return }
        var renumbered: [UInt16: UInt16] = [:]
        for (name, id) in handle.tables { renumbered[UInt16(id)] = try family.tableID(of: name) }
        var batch = RocksDBWriteBatch()
        let lower = [UInt8(truncatingIfNeeded: keyGroups.start >> 8), UInt8(truncatingIfNeeded: keyGroups.start)]
        let upper = [UInt8(truncatingIfNeeded: (keyGroups.end + 1) >> 8), UInt8(truncatingIfNeeded: keyGroups.end + 1)]
        // Key group 65535 is the last the layout holds: an upper bound past it is the empty key's successor.
        try source.forEach(from: lower, to: keyGroups.end + 1 > 0xFFFF ? [0xFF, 0xFF, 0xFF, 0xFF, 0xFF] : upper) { key, value in
            guard key.count >= 4 else { return }
            let table = UInt16(key[2]) << 8 | UInt16(key[3])
            guard let target = renumbered[table] else {
                throw RocksDBError(operation: "restoring a checkpoint", message: "an entry of table number \(table), which the checkpoint does not name")
            }
            var rewritten = Array(key)
            rewritten[2] = UInt8(target >> 8)
            rewritten[3] = UInt8(truncatingIfNeeded: target)
            batch.put(rewritten, Array(value))
            if batch.count == 4_096 {
                try family.instance.write(batch)
                batch = RocksDBWriteBatch()
            }
        }
        if batch.count > 0 { try family.instance.write(batch) }
    }
}
