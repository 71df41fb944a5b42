/// A deserializer that first checks that each record is in the partition its key belongs to
/// (murmur2 of the key, as Kafka's default partitioner and ``KafkaSink`` choose it), and fails
/// the job with ``KafkaSourceError/notCoPartitioned(_:offset:keyPartition:)`` if not.
///
/// A worker task (``KafkaGroupWorker``) reads one partition and keeps the state of the keys it
/// sees; if a key's records were spread over partitions, its state would be split between tasks
/// and every result for it wrong — silently. This check turns that into an error. Records
/// without a key fail it too.
public struct CoPartitionedDeserializer<Inner: KafkaRecordDeserializer>: KafkaRecordDeserializer {
    /// What decodes the records that pass.
    public let inner: Inner
    /// The partition count of the topic read.
    public let partitionCount: Int32

    /// Checks records of a topic of `partitionCount` partitions, then decodes them with `inner`.
    public init(_ inner: Inner, partitionCount: Int32) {
        precondition(partitionCount > 0, "a topic has at least one partition")
        self.inner = inner
        self.partitionCount = partitionCount
    }

    /// The element of `record`, after the check.
    public func deserialize(_ record: ConsumedRecord) throws -> Inner.Output? {
        guard let key = record.record.key else {
            throw KafkaSourceError.notCoPartitioned(record.topicPartition, offset: record.offset, keyPartition: -1)
        }
        let expected = KafkaPartitioner.partition(ofKey: key, partitions: partitionCount)
        guard expected == record.topicPartition.partition else {
            throw KafkaSourceError.notCoPartitioned(record.topicPartition, offset: record.offset, keyPartition: expected)
        }
        return try inner.deserialize(record)
    }
}
