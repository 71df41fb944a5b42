import NIOCore

/// Ends a rebalance: the leader sends every member's assignment, every member receives its own
/// (version 3).
package struct SyncGroupRequest: KafkaRequest {
    package struct Assignment: Sendable, Hashable {
        package var memberID: String
        package var assignment: ByteBuffer
    }

    package struct Response: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var assignment: ByteBuffer
    }

    package static let api = APIKey.syncGroup
    package static let versions: ClosedRange<Int16> = 3...3
    package static let firstFlexibleVersion: Int16? = nil

    package var groupID: String
    package var generationID: Int32
    package var memberID: String
    package var groupInstanceID: String?
    /// The leader's assignments; empty from the other members.
    package var assignments: [Assignment]

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(generationID)
        buffer.writeKafkaString(memberID)
        buffer.writeKafkaString(groupInstanceID)
        buffer.writeInteger(Int32(assignments.count))
        for item in assignments {
            buffer.writeKafkaString(item.memberID)
            buffer.writeKafkaBytes(item.assignment)
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        return Response(errorCode: code, assignment: try buffer.readKafkaBytes("assignment") ?? ByteBuffer())
    }
}
