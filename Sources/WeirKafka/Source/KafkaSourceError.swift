/// What stops a Kafka source besides the client's own errors.
public enum KafkaSourceError: Error, CustomStringConvertible {
    /// None of the topics exists or has a partition.
    case noPartitions(topics: [String])
    /// A record the deserializer could not decode.
    case undecodable(TopicPartition, offset: Int64, reason: String)

    /// What is wrong, naming the topic, partition and offset.
    public var description: String {
        switch self {
        case .noPartitions(let topics): "the Kafka topics \(topics.joined(separator: ", ")) have no partitions (do they exist?)"
        case .undecodable(let partition, let offset, let reason): "the Kafka record at \(partition) offset \(offset) does not decode: \(reason)"
        }
    }
}
