import NIOCore

/// What a Kafka sink writes for one stream element.
public struct KafkaProducerRecord: Sendable {
    /// The key's bytes (`nil`: no key); the default partitioner hashes it.
    public var key: ByteBuffer?
    /// The value's bytes (`nil`: Kafka's null, a tombstone).
    public var value: ByteBuffer?
    /// The headers, in order.
    public var headers: [KafkaHeader]
    /// The partition; `nil` lets the sink's partitioner choose (by key).
    public var partition: Int32?
    /// Milliseconds since 1970; `nil` takes the element's event timestamp, or the time of writing.
    public var timestamp: Int64?

    /// A record to write.
    public init(key: ByteBuffer? = nil, value: ByteBuffer?, headers: [KafkaHeader] = [], partition: Int32? = nil, timestamp: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestamp = timestamp
    }
}

/// Turns a stream element into a Kafka record.
public protocol KafkaRecordSerializer<Input>: Sendable {
    /// The elements serialized.
    associatedtype Input: Sendable
    /// The Kafka record of `element`.
    func serialize(_ element: Input) throws -> KafkaProducerRecord
}

/// A serializer from a closure.
public struct KafkaClosureSerializer<Input: Sendable>: KafkaRecordSerializer {
    private let body: @Sendable (Input) throws -> KafkaProducerRecord

    /// A serializer that calls `body` for each element.
    public init(_ body: @escaping @Sendable (Input) throws -> KafkaProducerRecord) { self.body = body }

    /// The record of `element`.
    public func serialize(_ element: Input) throws -> KafkaProducerRecord { try body(element) }
}
