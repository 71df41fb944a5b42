import NIOCore

/// A consumer group's stored positions (versions 1–5), for starting a source at them.
package struct OffsetFetchRequest: KafkaRequest {
    package struct PartitionOffset: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        /// -1: the group has no position for this partition.
        package var offset: Int64
        package var metadata: String?
        package var errorCode: KafkaErrorCode
    }

    package struct Response: Sendable {
        package var errorCode: KafkaErrorCode
        package var offsets: [PartitionOffset]
    }

    package static let api = APIKey.offsetFetch
    package static let versions: ClosedRange<Int16> = 1...5
    package static let firstFlexibleVersion: Int16? = nil

    package var groupID: String
    package var partitions: [TopicPartition]

    package init(groupID: String, partitions: [TopicPartition]) {
        self.groupID = groupID
        self.partitions = partitions
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupID)
        buffer.writeGroupedByTopic(partitions, topic: \.topic) { buffer, partition in buffer.writeInteger(partition.partition) }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        if version >= 3 { _ = try buffer.readKafka("throttle_time_ms", as: Int32.self) }
        var offsets: [PartitionOffset] = []
        for _ in 0..<(try buffer.readArrayCount("topics")) {
            let topic = try buffer.readKafkaString("name") ?? ""
            for _ in 0..<(try buffer.readArrayCount("partitions")) {
                let partition: Int32 = try buffer.readKafka("partition_index")
                let offset: Int64 = try buffer.readKafka("committed_offset")
                if version >= 5 { _ = try buffer.readKafka("committed_leader_epoch", as: Int32.self) }
                let metadata = try buffer.readKafkaString("metadata")
                let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
                offsets.append(PartitionOffset(topic: topic, partition: partition, offset: offset, metadata: metadata, errorCode: code))
            }
        }
        let code = version >= 2 ? KafkaErrorCode(rawValue: try buffer.readKafka("error_code")) : .none
        return Response(errorCode: code, offsets: offsets)
    }
}
