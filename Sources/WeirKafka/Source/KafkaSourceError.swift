/// What stops a Kafka source besides the client's own errors.
public enum KafkaSourceError: Error, CustomStringConvertible {
    /// None of the topics exists or has a partition.
    case noPartitions(topics: [String])
    /// A record the deserializer could not decode.
    case undecodable(TopicPartition, offset: Int64, reason: String)
    /// ``KafkaSource/onlyPartitions`` names a partition the topics do not have.
    case noSuchPartition(TopicPartition)
    /// A record is in another partition than its key's: a job whose tasks each read one
    /// partition (workers) would split that key's state between tasks.
    case notCoPartitioned(TopicPartition, offset: Int64, keyPartition: Int32)
    /// ``KafkaSource/Boundedness/untilWritersEnd`` without ``KafkaSource/repartitionTopic``.
    case noRepartitionTopic(topics: [String])

    /// What is wrong, naming the topic, partition and offset.
    public var description: String {
        switch self {
        case .noPartitions(let topics): "the Kafka topics \(topics.joined(separator: ", ")) have no partitions (do they exist?)"
        case .undecodable(let partition, let offset, let reason): "the Kafka record at \(partition) offset \(offset) does not decode: \(reason)"
        case .noSuchPartition(let partition): "the Kafka topic \(partition.topic) has no partition \(partition.partition)"
        case .noRepartitionTopic(let topics):
            "the Kafka source of \(topics.joined(separator: ", ")) is to end when its writers end (.untilWritersEnd), but it reads no repartition topic: set KafkaSource.repartitionTopic"
        case .notCoPartitioned(let partition, let offset, let keyPartition):
            "the Kafka record at \(partition) offset \(offset) belongs to partition \(keyPartition) by its key (murmur2, as Kafka's default partitioner): "
                + "each worker task reads one partition and keeps the state of its keys, so the input must be partitioned by key "
                + "(write it with a key and the default partitioner; weir produce --partition-by key)"
        }
    }
}
