import NIOCore

/// Keeps a member's session alive; the answer says whether a rebalance started (version 3).
package struct HeartbeatRequest: KafkaRequest {
    package struct Response: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
    }

    package static let api = APIKey.heartbeat
    package static let versions: ClosedRange<Int16> = 3...3
    package static let firstFlexibleVersion: Int16? = nil

    package var groupID: String
    package var generationID: Int32
    package var memberID: String
    package var groupInstanceID: String?

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(generationID)
        buffer.writeKafkaString(memberID)
        buffer.writeKafkaString(groupInstanceID)
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        return Response(errorCode: KafkaErrorCode(rawValue: try buffer.readKafka("error_code")))
    }
}
