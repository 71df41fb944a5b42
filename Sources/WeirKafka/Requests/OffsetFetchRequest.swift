import NIOCore

/// A consumer group's stored positions (versions 1–5), for starting a source at them.
public struct OffsetFetchRequest: KafkaRequest {
    public struct PartitionOffset: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        /// -1: the group has no position for this partition.
        public var offset: Int64
        public var metadata: String?
        public var errorCode: KafkaErrorCode
    }

    public struct Response: Sendable {
        public var errorCode: KafkaErrorCode
        public var offsets: [PartitionOffset]
    }

    public static let api = APIKey.offsetFetch
    public static let versions: ClosedRange<Int16> = 1...5
    public static let firstFlexibleVersion: Int16? = nil

    public var groupID: String
    public var partitions: [TopicPartition]

    public init(groupID: String, partitions: [TopicPartition]) {
        self.groupID = groupID
        self.partitions = partitions
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupID)
        buffer.writeGroupedByTopic(partitions, topic: \.topic) { buffer, partition in buffer.writeInteger(partition.partition) }
    }

    public static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
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
