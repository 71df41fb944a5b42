/// A partition of a topic.
public struct TopicPartition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The topic's name.
    public var topic: String
    /// The partition's index, from 0.
    public var partition: Int32

    /// Partition `partition` of `topic`.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `topic/partition`.
    public var description: String { "\(topic)/\(partition)" }

    /// By topic, then partition.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool { (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition) }
}
