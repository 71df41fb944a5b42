import NIOCore

/// A producer id and epoch for an idempotent producer, or for a transactional id: the
/// coordinator bumps the epoch (fencing earlier instances) and aborts the id's open
/// transaction — which is why a resumed transaction is committed without this request
/// (versions 0–4; 2 and later are flexible — Tansu 0.6 answers only those). From version 3
/// the request may name the producer id and epoch it had; this client sends none (-1).
package struct InitProducerIDRequest: KafkaRequest {
    package struct Response: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var producerID: Int64
        package var producerEpoch: Int16
    }

    package static let api = APIKey.initProducerID
    package static let versions: ClosedRange<Int16> = 0...4
    package static let firstFlexibleVersion: Int16? = 2

    package var transactionalID: String?
    package var transactionTimeout: Duration

    package init(transactionalID: String?, transactionTimeout: Duration = .seconds(60)) {
        self.transactionalID = transactionalID
        self.transactionTimeout = transactionTimeout
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        if Self.isFlexible(version) { buffer.writeCompactString(transactionalID) } else { buffer.writeKafkaString(transactionalID) }
        buffer.writeInteger(Int32(clamping: transactionTimeout.wholeMilliseconds))
        if version >= 3 {
            buffer.writeInteger(Int64(-1))  // producer_id: none known
            buffer.writeInteger(Int16(-1))  // producer_epoch
        }
        if Self.isFlexible(version) { buffer.writeEmptyTaggedFields() }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        let response = Response(errorCode: code, producerID: try buffer.readKafka("producer_id"), producerEpoch: try buffer.readKafka("producer_epoch"))
        if isFlexible(version) { try buffer.skipTaggedFields("InitProducerId response") }
        return response
    }
}
