import ArgumentParser
import Weir
#if RocksDB
import WeirRocksDB
#endif

/// `--state-backend`: the window state of the reference job on the heap (default) or in RocksDB
/// on local disk. Built with RocksDB only with the `RocksDB` trait (WeirRocksDB links Debian's
/// librocksdb-dev); without it, `rocksdb` says how to get it.
enum RocksDBSupport {
    #if RocksDB
    static let isBuiltIn = true
    #else
    static let isBuiltIn = false
    #endif

    static let missing = ValidationError("this weir was built without RocksDB: build it with --traits RocksDB (swift run -c release --traits RocksDB weir …; needs Debian's librocksdb-dev)")

    /// The backend `name` names (`heap` or `rocksdb`), with RocksDB's instances under `directory`
    /// and incremental or full checkpoints.
    static func backend(_ name: String, directory: String?, incremental: Bool) throws -> any StateBackend {
        switch name {
        case "heap":
            return HeapStateBackend()
        case "rocksdb":
            #if RocksDB
            return RocksDBStateBackend(localDirectory: directory, incrementalCheckpoints: incremental)
            #else
            throw missing
            #endif
        default:
            throw ValidationError("--state-backend must be heap or rocksdb")
        }
    }
}
