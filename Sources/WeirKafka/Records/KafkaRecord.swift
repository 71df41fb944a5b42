import NIOCore

/// A record header: a UTF-8 key and optional bytes.
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    public var value: ByteBuffer?

    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}

/// One record of a record batch, with its absolute offset and timestamp.
///
/// Key and value are slices of the fetched bytes (no copy); `nil` is Kafka's null, which is
/// not the same as empty (a null value is a tombstone in a compacted topic).
public struct KafkaRecord: Sendable, Hashable {
    public var offset: Int64
    public var timestamp: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [KafkaHeader]

    public init(offset: Int64 = 0, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [KafkaHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}
