import NIOCore

/// Commits or aborts a transaction: the coordinator writes the markers into its partitions.
/// Any connection may send it with the transactional id, producer id and epoch — the
/// capability that lets a restarted job end a transaction its previous run pre-committed
/// (versions 0–2).
package struct EndTxnRequest: KafkaRequest {
    package static let api = APIKey.endTxn
    package static let versions: ClosedRange<Int16> = 0...2
    package static let firstFlexibleVersion: Int16? = nil

    package var transactionalID: String
    package var producerID: Int64
    package var producerEpoch: Int16
    package var commit: Bool

    package init(transactionalID: String, producerID: Int64, producerEpoch: Int16, commit: Bool) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.commit = commit
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeInteger(UInt8(commit ? 1 : 0))
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> KafkaErrorCode {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        return KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
    }
}
