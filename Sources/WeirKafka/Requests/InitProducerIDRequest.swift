import NIOCore

/// A producer id and epoch for an idempotent producer, or for a transactional id: the
/// coordinator bumps the epoch (fencing earlier instances) and aborts the id's open
/// transaction — which is why a resumed transaction is committed without this request
/// (versions 0–1).
public struct InitProducerIDRequest: KafkaRequest {
    public struct Response: Sendable, Hashable {
        public var errorCode: KafkaErrorCode
        public var producerID: Int64
        public var producerEpoch: Int16
    }

    public static let api = APIKey.initProducerID
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16? = nil

    public var transactionalID: String?
    public var transactionTimeout: Duration

    public init(transactionalID: String?, transactionTimeout: Duration = .seconds(60)) {
        self.transactionalID = transactionalID
        self.transactionTimeout = transactionTimeout
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeInteger(Int32(clamping: transactionTimeout.wholeMilliseconds))
    }

    public static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        return Response(errorCode: code, producerID: try buffer.readKafka("producer_id"), producerEpoch: try buffer.readKafka("producer_epoch"))
    }
}
