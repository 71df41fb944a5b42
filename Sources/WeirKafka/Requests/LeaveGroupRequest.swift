import NIOCore

/// Leaves a group at once, so that the others rebalance without waiting for the session to
/// expire (version 3).
package struct LeaveGroupRequest: KafkaRequest {
    package struct Member: Sendable, Hashable {
        package var memberID: String
        package var groupInstanceID: String?
    }

    package struct Response: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var memberErrors: [KafkaErrorCode]
    }

    package static let api = APIKey.leaveGroup
    package static let versions: ClosedRange<Int16> = 3...3
    package static let firstFlexibleVersion: Int16? = nil

    package var groupID: String
    package var members: [Member]

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(Int32(members.count))
        for member in members {
            buffer.writeKafkaString(member.memberID)
            buffer.writeKafkaString(member.groupInstanceID)
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        var errors: [KafkaErrorCode] = []
        for _ in 0..<(try buffer.readArrayCount("members")) {
            _ = try buffer.readKafkaString("members.member_id")
            _ = try buffer.readKafkaString("members.group_instance_id")
            errors.append(KafkaErrorCode(rawValue: try buffer.readKafka("members.error_code")))
        }
        return Response(errorCode: code, memberErrors: errors)
    }
}
