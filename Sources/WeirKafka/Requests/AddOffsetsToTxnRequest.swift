import NIOCore

/// Adds a consumer group's offsets topic to the transaction, before TxnOffsetCommit, so that
/// the group's positions are committed or aborted with the records (versions 0–2).
public struct AddOffsetsToTxnRequest: KafkaRequest {
    public static let api = APIKey.addOffsetsToTxn
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = nil

    public var transactionalID: String
    public var producerID: Int64
    public var producerEpoch: Int16
    public var groupID: String

    public init(transactionalID: String, producerID: Int64, producerEpoch: Int16, groupID: String) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.groupID = groupID
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeKafkaString(groupID)
    }

    public static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> KafkaErrorCode {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        return KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
    }
}
