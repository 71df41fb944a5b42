/// One partition and the offset of its next record: what a Kafka source checkpoints, one split
/// per partition, so that a job restored with another parallelism deals them out again.
struct KafkaPartitionSplit: Codable, Sendable, Hashable {
    var topic: String
    var partition: Int32
    var offset: Int64

    var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}
