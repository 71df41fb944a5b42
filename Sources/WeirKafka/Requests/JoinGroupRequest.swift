import NIOCore

/// Joins a consumer group, or joins it again for a rebalance (version 5: static membership
/// through `group.instance.id`, KIP-345).
package struct JoinGroupRequest: KafkaRequest {
    package struct GroupProtocol: Sendable, Hashable {
        package var name: String
        package var metadata: ByteBuffer
    }

    package struct Member: Sendable, Hashable {
        package var memberID: String
        package var groupInstanceID: String?
        package var metadata: ByteBuffer
    }

    package struct Response: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var generationID: Int32
        package var protocolName: String?
        package var leader: String
        package var memberID: String
        /// Every member with its metadata, for the leader only (empty for the others).
        package var members: [Member]
    }

    package static let api = APIKey.joinGroup
    package static let versions: ClosedRange<Int16> = 5...5
    package static let firstFlexibleVersion: Int16? = nil

    package var groupID: String
    package var sessionTimeoutMilliseconds: Int32
    package var rebalanceTimeoutMilliseconds: Int32
    package var memberID: String
    package var groupInstanceID: String?
    package var protocolType: String
    package var protocols: [GroupProtocol]

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(sessionTimeoutMilliseconds)
        buffer.writeInteger(rebalanceTimeoutMilliseconds)
        buffer.writeKafkaString(memberID)
        buffer.writeKafkaString(groupInstanceID)
        buffer.writeKafkaString(protocolType)
        buffer.writeInteger(Int32(protocols.count))
        for item in protocols {
            buffer.writeKafkaString(item.name)
            buffer.writeKafkaBytes(item.metadata)
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        let generation: Int32 = try buffer.readKafka("generation_id")
        let protocolName = try buffer.readKafkaString("protocol_name")
        let leader = try buffer.readKafkaString("leader") ?? ""
        let memberID = try buffer.readKafkaString("member_id") ?? ""
        var members: [Member] = []
        for _ in 0..<(try buffer.readArrayCount("members")) {
            let id = try buffer.readKafkaString("members.member_id") ?? ""
            let instance = try buffer.readKafkaString("members.group_instance_id")
            let metadata = try buffer.readKafkaBytes("members.metadata") ?? ByteBuffer()
            members.append(Member(memberID: id, groupInstanceID: instance, metadata: metadata))
        }
        return Response(errorCode: code, generationID: generation, protocolName: protocolName, leader: leader, memberID: memberID, members: members)
    }
}
