import NIOCore

/// Registers partitions with the open transaction before the first write to them, so that the
/// coordinator writes its commit or abort marker there (versions 0–2).
package struct AddPartitionsToTxnRequest: KafkaRequest {
    package struct PartitionResult: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var errorCode: KafkaErrorCode
    }

    package static let api = APIKey.addPartitionsToTxn
    package static let versions: ClosedRange<Int16> = 0...2
    package static let firstFlexibleVersion: Int16? = nil

    package var transactionalID: String
    package var producerID: Int64
    package var producerEpoch: Int16
    package var partitions: [TopicPartition]

    package init(transactionalID: String, producerID: Int64, producerEpoch: Int16, partitions: [TopicPartition]) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.partitions = partitions
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeGroupedByTopic(partitions, topic: \.topic) { buffer, partition in buffer.writeInteger(partition.partition) }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [PartitionResult] {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        var results: [PartitionResult] = []
        for _ in 0..<(try buffer.readArrayCount("results")) {
            let topic = try buffer.readKafkaString("name") ?? ""
            for _ in 0..<(try buffer.readArrayCount("partition results")) {
                let partition: Int32 = try buffer.readKafka("partition_index")
                results.append(PartitionResult(topic: topic, partition: partition, errorCode: KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))))
            }
        }
        return results
    }
}
