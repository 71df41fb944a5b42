import NIOCore

/// The marker a transaction coordinator writes into each partition of a transaction when it
/// ends: the records of that producer before it are committed or aborted.
///
/// A control batch holds one control record: key = version (int16) + type (int16: 0 abort,
/// 1 commit); value = version (int16) + coordinator epoch (int32).
package struct ControlRecord: Sendable, Hashable {
    package enum Kind: Int16, Sendable, Hashable {
        case abort = 0
        case commit = 1
    }

    package var kind: Kind
    package var coordinatorEpoch: Int32

    package init(kind: Kind, coordinatorEpoch: Int32 = 0) {
        self.kind = kind
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// Reads the marker of a record from a control batch.
    package init(_ record: KafkaRecord) throws {
        guard var key = record.key else { throw KafkaProtocolError.malformed("control record without a key at offset \(record.offset)") }
        _ = try key.readKafka("control record key version", as: Int16.self)
        let type: Int16 = try key.readKafka("control record type")
        guard let kind = Kind(rawValue: type) else {
            throw KafkaProtocolError.malformed("control record of unknown type \(type) at offset \(record.offset)")
        }
        self.kind = kind
        var value = record.value ?? ByteBuffer()
        if value.readableBytes >= 6 {
            _ = try value.readKafka("control record value version", as: Int16.self)
            coordinatorEpoch = try value.readKafka("coordinator epoch")
        } else {
            coordinatorEpoch = -1
        }
    }

    /// The record that carries this marker (for tests and tools that write logs).
    package func record(offset: Int64 = 0, timestamp: Int64) -> KafkaRecord {
        var key = ByteBuffer()
        key.writeInteger(Int16(0))
        key.writeInteger(kind.rawValue)
        var value = ByteBuffer()
        value.writeInteger(Int16(0))
        value.writeInteger(coordinatorEpoch)
        return KafkaRecord(offset: offset, timestamp: timestamp, key: key, value: value)
    }
}
