/// The compression of a record batch's records (attribute bits 0–2).
public enum CompressionCodec: Int16, Sendable, Hashable, CustomStringConvertible {
    /// Uncompressed.
    case none = 0
    /// gzip (zlib), which WeirKafka reads and writes with the package trait `Gzip`.
    case gzip = 1
    /// Snappy (not supported by WeirKafka).
    case snappy = 2
    /// LZ4 (not supported by WeirKafka).
    case lz4 = 3
    /// Zstandard (not supported by WeirKafka).
    case zstd = 4

    /// The codec's name.
    public var description: String {
        switch self {
        case .none: "no compression"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}
