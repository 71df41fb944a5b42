import Weir

/// A Kafka source splits into one task per partition in a cluster job (`StreamEnvironment.cluster`).
extension KafkaSource: PartitionedSource {
    /// The topics read.
    public var partitionedInputs: [String] { topics }

    /// A repartition topic is partitioned by key group, and a ``CoPartitionedDeserializer``
    /// checks that each record is in its key's partition.
    public var isPartitionedByKey: Bool { repartitionTopic != nil || deserializer is any KeyPartitionChecking }

    /// The source reading only `partition` of `input` (``onlyPartitions``).
    public func reading(partition: Int32, of input: String) -> KafkaSource<Deserializer> {
        var source = self
        source.topics = [input]
        source.onlyPartitions = [TopicPartition(topic: input, partition: partition)]
        return source
    }

    /// A repartition topic's partition holds the key groups ``RepartitionTopic/keyGroups(of:)``
    /// says, when the job has the topic's key groups.
    public func keyGroups(ofPartition partition: Int32, of input: String, maxParallelism: Int) -> KeyGroupRange? {
        guard let topic = repartitionTopic, topic.name == input, topic.maxParallelism == maxParallelism else { return nil }
        return topic.keyGroups(of: partition)
    }
}

/// A deserializer that fails on a record outside its key's partition (``CoPartitionedDeserializer``).
protocol KeyPartitionChecking {}

extension CoPartitionedDeserializer: KeyPartitionChecking {}
