import Weir

/// One partition and the offset of its next record: what a Kafka source checkpoints, one split
/// per partition, so that a job restored with another parallelism deals them out again.
struct KafkaPartitionSplit: Codable, Sendable, Hashable {
    var topic: String
    var partition: Int32
    var offset: Int64
    /// The largest event time handed out of the partition (its watermark's base), so that after a
    /// restore the partition's watermark goes on from there; `nil` without per-partition watermarks.
    var maxEventTime: Int64?
    /// For a repartition topic: each writer's latest watermark in the partition (index: writer;
    /// `Int64.min` before its first), so that a restored reader's event time goes on from there —
    /// a writer that has ended writes no watermark again. `nil` for other topics.
    var writerWatermarks: [Int64]?

    var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    /// The form checkpoints had before writers' watermarks were recorded.
    private struct WithoutWriterWatermarks: Codable {
        var topic: String
        var partition: Int32
        var offset: Int64
        var maxEventTime: Int64?
    }

    /// The form checkpoints had before per-partition event time was recorded.
    private struct WithoutEventTime: Codable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    static func decode(_ bytes: [UInt8]) throws -> KafkaPartitionSplit {
        let decoder = BinaryStateDecoder()
        if let split = try? decoder.decode(KafkaPartitionSplit.self, from: bytes) { return split }
        if let old = try? decoder.decode(WithoutWriterWatermarks.self, from: bytes) {
            return KafkaPartitionSplit(topic: old.topic, partition: old.partition, offset: old.offset, maxEventTime: old.maxEventTime, writerWatermarks: nil)
        }
        let old = try decoder.decode(WithoutEventTime.self, from: bytes)
        return KafkaPartitionSplit(topic: old.topic, partition: old.partition, offset: old.offset, maxEventTime: nil, writerWatermarks: nil)
    }
}
