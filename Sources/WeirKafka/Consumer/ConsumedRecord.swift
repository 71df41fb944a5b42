/// A record as a consumer delivers it: with the partition it came from.
public struct ConsumedRecord: Sendable, Hashable {
    public var topicPartition: TopicPartition
    public var record: KafkaRecord

    public init(topicPartition: TopicPartition, record: KafkaRecord) {
        self.topicPartition = topicPartition
        self.record = record
    }

    public var offset: Int64 { record.offset }
}
