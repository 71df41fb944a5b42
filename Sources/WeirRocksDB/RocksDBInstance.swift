import CRocksDB
import Foundation

/// One open RocksDB database: a keyed operator subtask's local state. Closed, and its directory
/// deleted, when the last table, snapshot and store using it are gone.
///
/// RocksDB's handles are thread-safe: the task thread reads and writes, the checkpoint writer
/// iterates over snapshots.
final class RocksDBInstance: @unchecked Sendable {
    let path: String
    let db: OpaquePointer
    private let options: OpaquePointer
    private let tableOptions: OpaquePointer
    private let writeOptions: OpaquePointer
    private let readOptions: OpaquePointer
    private let resources: RocksDBSharedResources

    init(path: String, writeBufferBytes: Int, resources: RocksDBSharedResources) throws {
        self.path = path
        self.resources = resources
        options = rocksdb_options_create()
        rocksdb_options_set_create_if_missing(options, 1)
        rocksdb_options_set_write_buffer_size(options, max(writeBufferBytes, 1 << 20))
        rocksdb_options_set_max_write_buffer_number(options, 2)
        rocksdb_options_set_max_background_jobs(options, 2)
        rocksdb_options_set_keep_log_file_num(options, 2)
        // WARN: RocksDB's informational log is a file per instance that no one reads.
        rocksdb_options_set_info_log_level(options, 2)
        tableOptions = rocksdb_block_based_options_create()
        rocksdb_block_based_options_set_block_cache(tableOptions, resources.blockCache)
        // A Bloom filter per SST file: a read of a key that is not in a file (every new key, and
        // most files a key is looked up in) skips it without reading a block. The options own it.
        rocksdb_block_based_options_set_filter_policy(tableOptions, rocksdb_filterpolicy_create_bloom_full(10))
        rocksdb_options_set_block_based_table_factory(options, tableOptions)
        // The same for the memtable: a read of a key written to no memtable (most reads, with the
        // write-back cache in front) skips the skip-list search. Measured: +19 % on the running
        // sum with 1 M keys (BENCHMARKS.md).
        rocksdb_options_set_memtable_prefix_bloom_size_ratio(options, 0.1)
        rocksdb_options_set_memtable_whole_key_filtering(options, 1)
        writeOptions = rocksdb_writeoptions_create()
        // The local instance is rebuilt from a checkpoint after a crash: no write-ahead log.
        rocksdb_writeoptions_disable_WAL(writeOptions, 1)
        readOptions = rocksdb_readoptions_create()
        var error: UnsafeMutablePointer<CChar>?
        let opened = rocksdb_open(options, path, &error)
        do {
            try RocksDBError.check(error, "opening \(path)")
        } catch {
            rocksdb_readoptions_destroy(readOptions)
            rocksdb_writeoptions_destroy(writeOptions)
            rocksdb_options_destroy(options)
            rocksdb_block_based_options_destroy(tableOptions)
            throw error
        }
        db = opened!
    }

    /// The value stored under `key`, or `nil`. Read pinned (RocksDB hands out its block or
    /// memtable bytes instead of a copy of its own): one copy per read, the one returned.
    func get(_ key: [UInt8]) throws -> [UInt8]? {
        var error: UnsafeMutablePointer<CChar>?
        let pinned = key.withUnsafeBufferPointer { key in
            key.withMemoryRebound(to: CChar.self) { key in
                rocksdb_get_pinned(db, readOptions, key.baseAddress, key.count, &error)
            }
        }
        try RocksDBError.check(error, "reading a state entry")
        guard let pinned else { return nil }
        defer { rocksdb_pinnableslice_destroy(pinned) }
        var length = 0
        let value = rocksdb_pinnableslice_value(pinned, &length)
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Applies `batch` (puts and deletes) atomically.
    func write(_ batch: RocksDBWriteBatch) throws {
        var error: UnsafeMutablePointer<CChar>?
        rocksdb_write(db, writeOptions, batch.handle, &error)
        try RocksDBError.check(error, "writing \(batch.count) state entries")
    }

    /// Calls `body` with every key in `[lower, upper)` and its value, as of `snapshot` (or now):
    /// the iterator's own bytes, valid only during the call.
    func forEach(from lower: [UInt8], to upper: [UInt8], at snapshot: RocksDBSnapshot? = nil,
                 _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        // A scan for a checkpoint reads everything once: it would only push the task's hot
        // blocks out of the cache.
        try scan(from: lower, to: upper, at: snapshot, fillCache: false) { key, value in
            try body(key, value)
            return true
        }
    }

    /// Calls `body` with the keys in `[lower, upper)` in order, and their values, until it
    /// returns `false` (a seek, then the iterator's steps; bytes valid only during the call).
    func scan(from lower: [UInt8], to upper: [UInt8], at snapshot: RocksDBSnapshot? = nil, fillCache: Bool,
              _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        let options = rocksdb_readoptions_create()!
        defer { rocksdb_readoptions_destroy(options) }
        rocksdb_readoptions_set_fill_cache(options, fillCache ? 1 : 0)
        if let snapshot { rocksdb_readoptions_set_snapshot(options, snapshot.handle) }
        try upper.withUnsafeBufferPointer { upper in
            try upper.withMemoryRebound(to: CChar.self) { upper in
                rocksdb_readoptions_set_iterate_upper_bound(options, upper.baseAddress, upper.count)
                let iterator = rocksdb_create_iterator(db, options)!
                defer { rocksdb_iter_destroy(iterator) }
                lower.withUnsafeBufferPointer { lower in
                    lower.withMemoryRebound(to: CChar.self) { rocksdb_iter_seek(iterator, $0.baseAddress, $0.count) }
                }
                while rocksdb_iter_valid(iterator) != 0 {
                    var keyLength = 0
                    var valueLength = 0
                    let key = rocksdb_iter_key(iterator, &keyLength)
                    let value = rocksdb_iter_value(iterator, &valueLength)
                    guard try body(UnsafeRawBufferPointer(start: key, count: keyLength), UnsafeRawBufferPointer(start: value, count: valueLength)) else { break }
                    rocksdb_iter_next(iterator)
                }
                var error: UnsafeMutablePointer<CChar>?
                rocksdb_iter_get_error(iterator, &error)
                try RocksDBError.check(error, "reading the state entries of \(path)")
            }
        }
    }

    /// A RocksDB checkpoint of the database in `directory` (which must not exist): the memtable
    /// flushed, the live SST files hard-linked, the rest copied.
    func checkpoint(into directory: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let checkpoint = rocksdb_checkpoint_object_create(db, &error)
        try RocksDBError.check(error, "preparing a checkpoint of \(path)")
        defer { rocksdb_checkpoint_object_destroy(checkpoint) }
        rocksdb_checkpoint_create(checkpoint, directory, 0, &error)
        try RocksDBError.check(error, "taking a checkpoint of \(path) into \(directory)")
    }

    /// A point-in-time view of the database (RocksDB keeps what it needs until it is released).
    func snapshot() -> RocksDBSnapshot { RocksDBSnapshot(instance: self) }

    /// A RocksDB statistic (`rocksdb.estimate-num-keys`, `rocksdb.total-sst-files-size`, ...).
    func property(_ name: String) -> String? {
        guard let value = rocksdb_property_value(db, name) else { return nil }
        defer { rocksdb_free(value) }
        return String(cString: value)
    }

    deinit {
        rocksdb_close(db)
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_writeoptions_destroy(writeOptions)
        rocksdb_options_destroy(options)
        rocksdb_block_based_options_destroy(tableOptions)
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A RocksDB snapshot of an instance, released when the last reader is done with it.
final class RocksDBSnapshot: @unchecked Sendable {
    let instance: RocksDBInstance
    let handle: OpaquePointer

    init(instance: RocksDBInstance) {
        self.instance = instance
        handle = rocksdb_create_snapshot(instance.db)
    }

    deinit { rocksdb_release_snapshot(instance.db, handle) }
}

/// Puts and deletes applied together by ``RocksDBInstance/write(_:)``.
final class RocksDBWriteBatch {
    let handle: OpaquePointer = rocksdb_writebatch_create()
    private(set) var count = 0

    func put(_ key: [UInt8], _ value: [UInt8]) {
        count += 1
        key.withUnsafeBufferPointer { key in
            key.withMemoryRebound(to: CChar.self) { key in
                value.withUnsafeBufferPointer { value in
                    value.withMemoryRebound(to: CChar.self) { value in
                        rocksdb_writebatch_put(handle, key.baseAddress, key.count, value.baseAddress, value.count)
                    }
                }
            }
        }
    }

    func delete(_ key: [UInt8]) {
        count += 1
        key.withUnsafeBufferPointer { key in
            key.withMemoryRebound(to: CChar.self) { rocksdb_writebatch_delete(handle, $0.baseAddress, $0.count) }
        }
    }

    deinit { rocksdb_writebatch_destroy(handle) }
}
