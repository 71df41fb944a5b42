import NIOCore

/// What a Kafka sink writes for one stream element.
public struct KafkaProducerRecord: Sendable {
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [KafkaHeader]
    /// The partition; `nil` lets the sink's partitioner choose (by key).
    public var partition: Int32?
    /// Milliseconds since 1970; `nil` takes the element's event timestamp, or the time of writing.
    public var timestamp: Int64?

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
    associatedtype Input: Sendable
    func serialize(_ element: Input) throws -> KafkaProducerRecord
}

/// A serializer from a closure.
public struct KafkaClosureSerializer<Input: Sendable>: KafkaRecordSerializer {
    private let body: @Sendable (Input) throws -> KafkaProducerRecord

    public init(_ body: @escaping @Sendable (Input) throws -> KafkaProducerRecord) { self.body = body }

    public func serialize(_ element: Input) throws -> KafkaProducerRecord { try body(element) }
}
