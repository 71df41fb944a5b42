import NIOCore

/// The offset of the first record at or after a timestamp, or the earliest or latest offset
/// (versions 2–5, before the flexible encoding).
package struct ListOffsetsRequest: KafkaRequest {
    package enum Position: Sendable, Hashable {
        case earliest
        /// The next offset to be written (read_uncommitted) or the last stable offset (read_committed).
        case latest
        /// The first offset whose timestamp is at or after this many milliseconds since 1970.
        case timestamp(Int64)

        var wireValue: Int64 {
            switch self {
            case .earliest: -2
            case .latest: -1
            case .timestamp(let milliseconds): milliseconds
            }
        }
    }

    package struct PartitionQuery: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var position: Position

        package init(topic: String, partition: Int32, position: Position) {
            self.topic = topic
            self.partition = partition
            self.position = position
        }
    }

    package struct PartitionOffset: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var errorCode: KafkaErrorCode
        /// -1 when no record is at or after the timestamp.
        package var offset: Int64
        package var timestamp: Int64
    }

    package static let api = APIKey.listOffsets
    package static let versions: ClosedRange<Int16> = 2...5
    package static let firstFlexibleVersion: Int16? = nil

    package var queries: [PartitionQuery]
    package var isolationLevel: FetchRequest.IsolationLevel

    package init(queries: [PartitionQuery], isolationLevel: FetchRequest.IsolationLevel = .readCommitted) {
        self.queries = queries
        self.isolationLevel = isolationLevel
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(Int32(-1))  // replica_id
        buffer.writeInteger(isolationLevel.rawValue)
        buffer.writeGroupedByTopic(queries, topic: \.topic) { buffer, query in
            buffer.writeInteger(query.partition)
            if version >= 4 { buffer.writeInteger(Int32(-1)) }  // current_leader_epoch
            buffer.writeInteger(query.position.wireValue)
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [PartitionOffset] {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        var results: [PartitionOffset] = []
        for _ in 0..<(try buffer.readArrayCount("topics")) {
            let topic = try buffer.readKafkaString("name") ?? ""
            for _ in 0..<(try buffer.readArrayCount("partitions")) {
                let partition: Int32 = try buffer.readKafka("partition_index")
                let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
                let timestamp: Int64 = try buffer.readKafka("timestamp")
                let offset: Int64 = try buffer.readKafka("offset")
                if version >= 4 { _ = try buffer.readKafka("leader_epoch", as: Int32.self) }
                results.append(PartitionOffset(topic: topic, partition: partition, errorCode: code, offset: offset, timestamp: timestamp))
            }
        }
        return results
    }
}
