import NIOCore

/// Brokers, topics, partitions and their leaders (versions 1–8, before the flexible encoding).
package struct MetadataRequest: KafkaRequest {
    package struct Broker: Sendable, Hashable {
        package var nodeID: Int32
        package var address: BrokerAddress
    }

    package struct Partition: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var index: Int32
        package var leaderID: Int32
        package var leaderEpoch: Int32
    }

    package struct Topic: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var name: String
        package var partitions: [Partition]
    }

    package struct Response: Sendable {
        package var brokers: [Broker]
        package var controllerID: Int32
        package var topics: [Topic]
    }

    package static let api = APIKey.metadata
    package static let versions: ClosedRange<Int16> = 1...8
    package static let firstFlexibleVersion: Int16? = nil

    /// `nil`: every topic.
    package var topics: [String]?
    package var allowAutoTopicCreation: Bool

    package init(topics: [String]?, allowAutoTopicCreation: Bool = false) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        if let topics {
            buffer.writeInteger(Int32(topics.count))
            for topic in topics { buffer.writeKafkaString(topic) }
        } else {
            buffer.writeInteger(Int32(-1))
        }
        if version >= 4 { buffer.writeInteger(UInt8(allowAutoTopicCreation ? 1 : 0)) }
        if version >= 8 {
            buffer.writeInteger(UInt8(0))  // include_cluster_authorized_operations
            buffer.writeInteger(UInt8(0))  // include_topic_authorized_operations
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        if version >= 3 { _ = try buffer.readKafka("throttle_time_ms", as: Int32.self) }
        var brokers: [Broker] = []
        for _ in 0..<(try buffer.readArrayCount("brokers")) {
            let nodeID: Int32 = try buffer.readKafka("node_id")
            let host = try buffer.readKafkaString("host") ?? ""
            let port: Int32 = try buffer.readKafka("port")
            _ = try buffer.readKafkaString("rack")
            brokers.append(Broker(nodeID: nodeID, address: BrokerAddress(host: host, port: Int(port), nodeID: nodeID)))
        }
        if version >= 2 { _ = try buffer.readKafkaString("cluster_id") }
        let controllerID: Int32 = try buffer.readKafka("controller_id")
        var topics: [Topic] = []
        for _ in 0..<(try buffer.readArrayCount("topics")) {
            let errorCode = KafkaErrorCode(rawValue: try buffer.readKafka("topic error_code"))
            let name = try buffer.readKafkaString("topic name") ?? ""
            _ = try buffer.readKafka("is_internal", as: UInt8.self)
            var partitions: [Partition] = []
            for _ in 0..<(try buffer.readArrayCount("partitions")) {
                let partitionError = KafkaErrorCode(rawValue: try buffer.readKafka("partition error_code"))
                let index: Int32 = try buffer.readKafka("partition_index")
                let leader: Int32 = try buffer.readKafka("leader_id")
                let epoch: Int32 = version >= 7 ? try buffer.readKafka("leader_epoch") : -1
                for field in ["replica_nodes", "isr_nodes"] + (version >= 5 ? ["offline_replicas"] : []) {
                    for _ in 0..<(try buffer.readArrayCount(field)) { _ = try buffer.readKafka(field, as: Int32.self) }
                }
                partitions.append(Partition(errorCode: partitionError, index: index, leaderID: leader, leaderEpoch: epoch))
            }
            if version >= 8 { _ = try buffer.readKafka("topic_authorized_operations", as: Int32.self) }
            topics.append(Topic(errorCode: errorCode, name: name, partitions: partitions.sorted { $0.index < $1.index }))
        }
        if version >= 8 { _ = try buffer.readKafka("cluster_authorized_operations", as: Int32.self) }
        return Response(brokers: brokers, controllerID: controllerID, topics: topics)
    }
}
