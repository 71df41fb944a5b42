import NIOCore

/// Registers partitions with the open transaction before the first write to them, so that the
/// coordinator writes its commit or abort marker there (versions 0–2).
public struct AddPartitionsToTxnRequest: KafkaRequest {
    public struct PartitionResult: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var errorCode: KafkaErrorCode
    }

    public static let api = APIKey.addPartitionsToTxn
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = nil

    public var transactionalID: String
    public var producerID: Int64
    public var producerEpoch: Int16
    public var partitions: [TopicPartition]

    public init(transactionalID: String, producerID: Int64, producerEpoch: Int16, partitions: [TopicPartition]) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.partitions = partitions
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeGroupedByTopic(partitions, topic: \.topic) { buffer, partition in buffer.writeInteger(partition.partition) }
    }

    public static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [PartitionResult] {
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
