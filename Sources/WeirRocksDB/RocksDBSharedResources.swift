import CRocksDB

/// What all instances of one ``RocksDBStateBackend`` share: the block cache, so that the
/// memory reading takes is bounded per process, not per subtask.
final class RocksDBSharedResources: @unchecked Sendable {
    // RocksDB's cache is thread-safe; the pointer is set once and freed when the last backend
    // value and instance using it are gone.
    let blockCache: OpaquePointer

    init(blockCacheBytes: Int) {
        blockCache = rocksdb_cache_create_lru(max(blockCacheBytes, 1 << 20))
    }

    deinit { rocksdb_cache_destroy(blockCache) }
}
