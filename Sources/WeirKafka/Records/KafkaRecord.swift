import NIOCore

/// A record header: a UTF-8 key and optional bytes.
public struct KafkaHeader: Sendable, Hashable {
    /// The header's name.
    public var key: String
    /// The header's bytes; `nil` is Kafka's null.
    public var value: ByteBuffer?

    /// A header `key` with `value`.
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
    /// The record's offset in its partition.
    public var offset: Int64
    /// The record's timestamp, in milliseconds since 1970 (create time or log-append time, as the topic says).
    public var timestamp: Int64
    /// The key's bytes; `nil` is Kafka's null.
    public var key: ByteBuffer?
    /// The value's bytes; `nil` is Kafka's null.
    public var value: ByteBuffer?
    /// The headers, in order.
    public var headers: [KafkaHeader]

    /// A record; `offset` counts only for records read (a producer's offsets come from the broker).
    public init(offset: Int64 = 0, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [KafkaHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}
