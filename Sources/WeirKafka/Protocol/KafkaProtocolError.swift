/// Bytes from a broker (or a log) that do not follow the Kafka protocol as this client reads it.
public enum KafkaProtocolError: Error, Hashable, CustomStringConvertible {
    /// The buffer ended inside `what`.
    case truncated(String)
    /// A field whose value the protocol does not allow.
    case malformed(String)
    /// A record batch whose CRC-32C does not match its bytes: corrupted in transit or on disk.
    case checksumMismatch(baseOffset: Int64, stored: UInt32, computed: UInt32)
    /// Batches older than the v2 format (Kafka < 0.11) carry no producer ids or headers.
    case unsupportedMagic(Int8, baseOffset: Int64)
    /// A batch compressed with a codec this client does not decode (snappy, lz4, zstd).
    case unsupportedCompression(CompressionCodec, baseOffset: Int64)
    /// A gzip batch, in a build of WeirKafka without zlib (the package trait `Gzip` off).
    case compressionNotBuilt(CompressionCodec, baseOffset: Int64)

    /// What is wrong, and where.
    public var description: String {
        switch self {
        case .truncated(let what): "the Kafka message ended inside \(what)"
        case .malformed(let what): "malformed Kafka message: \(what)"
        case .checksumMismatch(let offset, let stored, let computed):
            "record batch at offset \(offset) is corrupt: CRC-32C \(String(computed, radix: 16)) of its bytes, \(String(stored, radix: 16)) stored"
        case .unsupportedMagic(let magic, let offset):
            "record batch at offset \(offset) has format (magic) \(magic); Weir reads only record batches v2 (magic 2, Kafka 0.11 and later)"
        case .unsupportedCompression(let codec, let offset):
            "record batch at offset \(offset) is compressed with \(codec), which Weir cannot decompress; have producers use gzip or no compression"
        case .compressionNotBuilt(let codec, let offset):
            "record batch at offset \(offset) is compressed with \(codec), but this build of WeirKafka has no zlib: build Weir with its package trait Gzip (on by default; it was turned off, e.g. by --disable-default-traits or `traits: []` on the .package line), which needs zlib (Debian: zlib1g-dev)"
        }
    }
}
