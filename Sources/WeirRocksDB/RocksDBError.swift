import CRocksDB

/// A failure of RocksDB or of the backend's local directory.
public struct RocksDBError: Error, CustomStringConvertible, Equatable {
    /// What the backend was doing.
    public var operation: String
    /// RocksDB's message (or the system's).
    public var message: String

    /// A failure of `operation`, with RocksDB's `message`.
    public init(operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    /// What failed, and RocksDB's words for it.
    public var description: String { "RocksDB \(operation) failed: \(message)" }
}

extension RocksDBError {
    /// Throws the error RocksDB reported through its `errptr`, if any (freeing RocksDB's string).
    static func check(_ error: UnsafeMutablePointer<CChar>?, _ operation: @autoclosure () -> String) throws {
        guard let error else { return }
        defer { rocksdb_free(error) }
        throw RocksDBError(operation: operation(), message: String(cString: error))
    }
}
