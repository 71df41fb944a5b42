import NIOCore

/// Adds a consumer group's offsets topic to the transaction, before TxnOffsetCommit, so that
/// the group's positions are committed or aborted with the records (versions 0–2).
package struct AddOffsetsToTxnRequest: KafkaRequest {
    package static let api = APIKey.addOffsetsToTxn
    package static let versions: ClosedRange<Int16> = 0...2
    package static let firstFlexibleVersion: Int16? = nil

    package var transactionalID: String
    package var producerID: Int64
    package var producerEpoch: Int16
    package var groupID: String

    package init(transactionalID: String, producerID: Int64, producerEpoch: Int16, groupID: String) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.groupID = groupID
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeKafkaString(groupID)
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> KafkaErrorCode {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        return KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
    }
}
