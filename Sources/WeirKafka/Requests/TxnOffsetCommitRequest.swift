import NIOCore

/// A consumer group's positions, committed inside a transaction: visible only if the
/// transaction commits (versions 0–2; sent to the group's coordinator).
package struct TxnOffsetCommitRequest: KafkaRequest {
    package static let api = APIKey.txnOffsetCommit
    package static let versions: ClosedRange<Int16> = 0...2
    package static let firstFlexibleVersion: Int16? = nil

    package var transactionalID: String
    package var groupID: String
    package var producerID: Int64
    package var producerEpoch: Int16
    package var offsets: [OffsetCommitRequest.PartitionOffset]

    package init(transactionalID: String, groupID: String, producerID: Int64, producerEpoch: Int16, offsets: [OffsetCommitRequest.PartitionOffset]) {
        self.transactionalID = transactionalID
        self.groupID = groupID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.offsets = offsets
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeGroupedByTopic(offsets, topic: \.topic) { buffer, offset in
            buffer.writeInteger(offset.partition)
            buffer.writeInteger(offset.offset)
            if version >= 2 { buffer.writeInteger(Int32(-1)) }  // committed_leader_epoch
            buffer.writeKafkaString(offset.metadata)
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [OffsetCommitRequest.PartitionResult] {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        return try OffsetCommitRequest.readPartitionErrors(from: &buffer)
    }
}
