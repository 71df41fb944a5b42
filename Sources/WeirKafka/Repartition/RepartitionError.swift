/// What stops a job at a repartition hop (``RepartitionTopic``).
public enum RepartitionError: Error, CustomStringConvertible {
    /// The topic's settings cannot work.
    case invalidTopic(String, reason: String)
    /// A watermark record does not say `writer,writers,timestamp`, or names another number of
    /// writers than the reader expects (the upstream stage was rescaled without a new topic).
    case badWatermark(TopicPartition, offset: Int64, reason: String)
    /// ``KafkaSource/repartitionTopic`` together with ``KafkaSource/watermarks``: a repartition
    /// topic's event time comes from its writers.
    case conflictingWatermarks(topic: String)

    /// What is wrong, naming the topic (and partition and offset).
    public var description: String {
        switch self {
        case .invalidTopic(let name, let reason): "repartition topic \(name): \(reason)"
        case .badWatermark(let partition, let offset, let reason): "the watermark record at \(partition) offset \(offset): \(reason)"
        case .conflictingWatermarks(let topic):
            "the Kafka source of repartition topic \(topic) takes its watermarks from the topic's writers: do not set KafkaSource.watermarks too"
        }
    }
}
