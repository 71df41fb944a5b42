/// A record as a consumer delivers it: with the partition it came from.
public struct ConsumedRecord: Sendable, Hashable {
    /// The partition the record was read from.
    public var topicPartition: TopicPartition
    /// The record.
    public var record: KafkaRecord

    /// A record read from `topicPartition`.
    public init(topicPartition: TopicPartition, record: KafkaRecord) {
        self.topicPartition = topicPartition
        self.record = record
    }

    /// The record's offset in its partition.
    public var offset: Int64 { record.offset }
}
