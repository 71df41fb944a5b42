import NIOCore

/// A group's state and members as its coordinator sees them, each with its JoinGroup metadata
/// and the assignment it received (versions 1–4; 4 adds the members' static instance ids).
package struct DescribeGroupsRequest: KafkaRequest {
    package struct Member: Sendable, Hashable {
        package var memberID: String
        package var groupInstanceID: String?
        package var clientID: String
        package var clientHost: String
        package var metadata: ByteBuffer
        package var assignment: ByteBuffer
    }

    package struct Group: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var groupID: String
        /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead`.
        package var state: String
        package var protocolType: String
        /// The protocol the members agreed on (Weir's workers: `weir-tasks-1`).
        package var protocolName: String
        package var members: [Member]
    }

    package typealias Response = [Group]

    package static let api = APIKey.describeGroups
    package static let versions: ClosedRange<Int16> = 1...4
    package static let firstFlexibleVersion: Int16? = nil

    package var groupIDs: [String]

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(Int32(groupIDs.count))
        for id in groupIDs { buffer.writeKafkaString(id) }
        if version >= 3 { buffer.writeInteger(UInt8(0)) }  // include_authorized_operations: no
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let count = try buffer.readKafka("groups", as: Int32.self)
        var groups: [Group] = []
        for _ in 0..<max(0, count) {
            let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
            let id = try buffer.readKafkaString("group_id") ?? ""
            let state = try buffer.readKafkaString("group_state") ?? ""
            let protocolType = try buffer.readKafkaString("protocol_type") ?? ""
            let protocolName = try buffer.readKafkaString("protocol_data") ?? ""
            let memberCount = try buffer.readKafka("members", as: Int32.self)
            var members: [Member] = []
            for _ in 0..<max(0, memberCount) {
                let memberID = try buffer.readKafkaString("member_id") ?? ""
                let instanceID = version >= 4 ? try buffer.readKafkaString("group_instance_id") : nil
                let clientID = try buffer.readKafkaString("client_id") ?? ""
                let host = try buffer.readKafkaString("client_host") ?? ""
                let metadata = try buffer.readKafkaBytes("member_metadata") ?? ByteBuffer()
                let assignment = try buffer.readKafkaBytes("member_assignment") ?? ByteBuffer()
                members.append(Member(memberID: memberID, groupInstanceID: instanceID, clientID: clientID, clientHost: host, metadata: metadata, assignment: assignment))
            }
            if version >= 3 { _ = try buffer.readKafka("authorized_operations", as: Int32.self) }
            groups.append(Group(errorCode: code, groupID: id, state: state, protocolType: protocolType, protocolName: protocolName, members: members))
        }
        return groups
    }
}
