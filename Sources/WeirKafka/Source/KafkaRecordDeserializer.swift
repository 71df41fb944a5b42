import Foundation
import NIOCore

/// Turns a consumed Kafka record into a stream element; `nil` skips the record.
public protocol KafkaRecordDeserializer<Output>: Sendable {
    /// The elements produced.
    associatedtype Output: Sendable
    /// The element of `record`, or `nil` to skip it.
    func deserialize(_ record: ConsumedRecord) throws -> Output?
}

/// The value's bytes as they are (records without a value are skipped).
public struct KafkaBytesDeserializer: KafkaRecordDeserializer {
    /// The deserializer.
    public init() {}
    /// The value's bytes, or `nil` for a record without a value.
    public func deserialize(_ record: ConsumedRecord) throws -> [UInt8]? {
        record.record.value.map { Array($0.readableBytesView) }
    }
}

/// The value as UTF-8 text (records without a value are skipped).
public struct KafkaUTF8Deserializer: KafkaRecordDeserializer {
    /// The deserializer.
    public init() {}
    /// The value decoded as UTF-8, or `nil` for a record without a value.
    public func deserialize(_ record: ConsumedRecord) throws -> String? {
        record.record.value.map { String(buffer: $0) }
    }
}

/// The value decoded from JSON. A value that does not decode fails the job, naming the
/// partition and offset, unless `skipsMalformed` (then it is skipped).
public struct KafkaJSONDeserializer<Output: Decodable & Sendable>: KafkaRecordDeserializer {
    /// Skip a value that does not decode instead of failing the job. Default false.
    public var skipsMalformed = false

    /// A deserializer of `type`.
    public init(_ type: Output.Type = Output.self) {}

    /// The value decoded from JSON, or `nil` for a record without a value (or a malformed one, with ``skipsMalformed``).
    public func deserialize(_ record: ConsumedRecord) throws -> Output? {
        guard let value = record.record.value else { return nil }
        do {
            return try JSONDecoder().decode(Output.self, from: Data(value.readableBytesView))
        } catch {
            if skipsMalformed { return nil }
            throw KafkaSourceError.undecodable(record.topicPartition, offset: record.offset, reason: "\(error)")
        }
    }
}
