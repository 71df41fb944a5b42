/// What stops a Kafka source besides the client's own errors.
public enum KafkaSourceError: Error, CustomStringConvertible {
    case noPartitions(topics: [String])
    case undecodable(TopicPartition, offset: Int64, reason: String)

    public var description: String {
        switch self {
        case .noPartitions(let topics): "the Kafka topics \(topics.joined(separator: ", ")) have no partitions (do they exist?)"
        case .undecodable(let partition, let offset, let reason): "the Kafka record at \(partition) offset \(offset) does not decode: \(reason)"
        }
    }
}
