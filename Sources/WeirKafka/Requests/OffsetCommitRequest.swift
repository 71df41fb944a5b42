import NIOCore

/// Stores a consumer group's positions (versions 2–7). Weir's sources commit offsets only for
/// monitoring (the checkpoint is the truth), as a standalone member: generation -1, no member id.
package struct OffsetCommitRequest: KafkaRequest {
    package struct PartitionOffset: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        /// The next offset to read.
        package var offset: Int64
        package var metadata: String?

        package init(topic: String, partition: Int32, offset: Int64, metadata: String? = nil) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.metadata = metadata
        }
    }

    package struct PartitionResult: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var errorCode: KafkaErrorCode
    }

    package static let api = APIKey.offsetCommit
    package static let versions: ClosedRange<Int16> = 2...7
    package static let firstFlexibleVersion: Int16? = nil

    package var groupID: String
    package var offsets: [PartitionOffset]

    package init(groupID: String, offsets: [PartitionOffset]) {
        self.groupID = groupID
        self.offsets = offsets
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupID)
        buffer.writeInteger(Int32(-1))  // generation_id: not a group member
        buffer.writeKafkaString("")  // member_id
        if version >= 7 { buffer.writeKafkaString(nil) }  // group_instance_id
        if version <= 4 { buffer.writeInteger(Int64(-1)) }  // retention_time_ms: the broker's
        buffer.writeGroupedByTopic(offsets, topic: \.topic) { buffer, offset in
            buffer.writeInteger(offset.partition)
            buffer.writeInteger(offset.offset)
            if version >= 6 { buffer.writeInteger(Int32(-1)) }  // committed_leader_epoch
            buffer.writeKafkaString(offset.metadata)
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [PartitionResult] {
        if version >= 3 { _ = try buffer.readKafka("throttle_time_ms", as: Int32.self) }
        return try readPartitionErrors(from: &buffer)
    }

    /// `[topic name, [partition_index, error_code]]`, the answer of OffsetCommit and TxnOffsetCommit.
    static func readPartitionErrors(from buffer: inout ByteBuffer) throws -> [PartitionResult] {
        var results: [PartitionResult] = []
        for _ in 0..<(try buffer.readArrayCount("topics")) {
            let topic = try buffer.readKafkaString("name") ?? ""
            for _ in 0..<(try buffer.readArrayCount("partitions")) {
                let partition: Int32 = try buffer.readKafka("partition_index")
                results.append(PartitionResult(topic: topic, partition: partition, errorCode: KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))))
            }
        }
        return results
    }
}
