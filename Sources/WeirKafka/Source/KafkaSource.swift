import Weir

/// Reads Kafka topics into a Weir job, exactly once with the job's checkpoints.
///
/// The partitions of `topics` are split among the source's subtasks deterministically (in
/// topic and partition order, partition *i* to subtask *i* mod *p*); there is no consumer group
/// and no rebalancing. Each subtask keeps the offset of every partition it reads in the job's
/// checkpoints, and a restored job reads on from exactly there — the checkpoint is the truth,
/// not the broker. Records are read read_committed by default, so transactions of an
/// exactly-once producer (a Weir Kafka sink, say) are seen only once committed. Each record's
/// Kafka timestamp becomes its event timestamp (or what ``watermarks``' assigner says); set
/// ``watermarks`` for watermarks per partition, which a job reading several partitions per
/// subtask wants — one watermark after the source drops a lagging partition's records as late.
///
/// ```swift
/// var source = KafkaSource(bootstrap: [try BrokerAddress(bootstrap)], topics: ["clicks"],
///                          deserializer: KafkaUTF8Deserializer())
/// source.boundedness = .latestAtStart  // stop at the offsets the topic had at the start (default: never)
/// let lines = env.addSource(source, name: "Kafka")
/// ```
public struct KafkaSource<Deserializer: KafkaRecordDeserializer>: Source {
    /// What the source emits: the deserializer's output.
    public typealias Output = Deserializer.Output

    /// When a source stops reading.
    public enum Boundedness: Sendable, Hashable {
        /// Never: the job runs until it is stopped.
        case unbounded
        /// At the end offsets the partitions had when the reader started (read_committed: the
        /// last stable offsets), for batch-like jobs and tests.
        case latestAtStart
        /// For a ``repartitionTopic``: a partition ends when every writer has written its end of
        /// time into it (its input ended) — the end of a bounded job that crosses a hop.
        case untilWritersEnd
    }

    /// Brokers to learn the cluster from.
    public var bootstrap: [BrokerAddress]
    /// The topics read; their partitions are dealt to the subtasks.
    public var topics: [String]
    /// How a Kafka record becomes an element.
    public let deserializer: Deserializer
    /// Where a partition without a checkpointed offset starts. Default: earliest.
    public var startPosition: StartPosition = .earliest
    /// Whether the source ends (`.latestAtStart`: at the partitions' ends when the job started) or reads on. Default: unbounded.
    public var boundedness: Boundedness = .unbounded
    /// Watermarks made in the source, per partition: each partition's watermark trails the
    /// largest event time read from it by the strategy's out-of-orderness, and the source's is
    /// the least of them — so a lagging partition holds event time back instead of having its
    /// records dropped as late, which one watermark over a subtask's mixed partitions would do.
    /// With the strategy's idle timeout, a partition that brought nothing for that long stops
    /// holding it back, and a source whose partitions are all idle is declared idle. The
    /// timestamp assigner gets the value and the record's Kafka timestamp (default: the Kafka
    /// timestamp is the event time). Periodic and per-record emission settings do not apply:
    /// the watermark goes out whenever it advances. `nil` (the default): the source makes none;
    /// assign them after it.
    public var watermarks: WatermarkStrategy<Output>?
    /// If set, the positions of every completed checkpoint are stored for this consumer group
    /// (`OffsetCommit`), so that Kafka's own tools show the job's lag. For monitoring only: the
    /// checkpoint stays the truth, a restored job starts from its checkpoint, and a failed
    /// commit does not fail the job (the next checkpoint's commit covers it).
    public var offsetCommitGroup: String?
    /// Isolation level, fetch sizes, waits and the out-of-range policy; the wait is kept short
    /// (100 ms) because a reader blocks its task while it fetches and barriers wait behind it.
    public var consumer: ConsumerConfiguration = {
        var configuration = ConsumerConfiguration()
        configuration.maxWait = .milliseconds(100)
        return configuration
    }()
    /// The client's connection settings.
    public var client = KafkaClientConfiguration()
    /// Only these partitions of ``topics`` are read (a worker's tasks, see `KafkaGroupWorker`),
    /// still dealt to the subtasks in order; `nil` (the default): all of them. A named partition
    /// the topics do not have fails the reader ("no such partition") instead of being skipped.
    public var onlyPartitions: Set<TopicPartition>?
    /// The topics are a repartition topic (`DataStream.repartition(into:…)` writes it): event
    /// time comes from the watermarks its writers wrote into each partition — a partition's
    /// watermark is the least of its writers', and waits for all of them — instead of from
    /// ``watermarks`` (which must stay `nil`); the watermark records are not handed out; the
    /// writers' watermarks are part of the checkpoint. With ``Boundedness/untilWritersEnd`` a
    /// partition ends when all its writers ended.
    public var repartitionTopic: RepartitionTopic?

    /// A source of the records of `topics`.
    public init(bootstrap: [BrokerAddress], topics: [String], deserializer: Deserializer) {
        self.bootstrap = bootstrap
        self.topics = topics
        self.deserializer = deserializer
    }

    /// The reader of one subtask: its share of the partitions, from ``startPosition``.
    public func makeReader(_ context: SourceContext) throws -> KafkaSourceReader<Deserializer> {
        try checkRepartitionSettings()
        let (topics, bootstrap, clientConfiguration, start) = (self.topics, self.bootstrap, self.client, startPosition)
        let kafka = KafkaClient(bootstrap: bootstrap, configuration: clientConfiguration)
        let all = try awaitOnTaskThread {
            let metadata = try await kafka.refreshMetadata(topics: topics)
            var partitions: [TopicPartition] = []
            for topic in metadata.topics where topics.contains(topic.name) {
                guard topic.errorCode == .none else {
                    throw KafkaError.broker(topic.errorCode, api: .metadata, broker: bootstrap[0], topic: topic.name)
                }
                partitions += topic.partitions.map { TopicPartition(topic: topic.name, partition: $0.index) }
            }
            return partitions.sorted()
        }
        guard !all.isEmpty else { throw KafkaSourceError.noPartitions(topics: topics) }
        var chosen = all
        if let only = onlyPartitions {
            if let missing = only.subtracting(all).sorted().first { throw KafkaSourceError.noSuchPartition(missing) }
            chosen = all.filter(only.contains)
        }
        let mine = chosen.enumerated().filter { $0.offset % context.parallelism == context.subtask }.map(\.element)
        return try KafkaSourceReader(source: self, client: kafka, starts: Dictionary(uniqueKeysWithValues: mine.map { ($0, start) }), restoredEventTimes: [:], restoredWriterWatermarks: [:])
    }

    /// A reader that continues each partition of `splits` at the offset a checkpoint recorded.
    public func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> KafkaSourceReader<Deserializer> {
        try checkRepartitionSettings()
        let restored = try splits.map(KafkaPartitionSplit.decode)
        let kafka = KafkaClient(bootstrap: bootstrap, configuration: client)
        return try KafkaSourceReader(source: self, client: kafka,
                                     starts: Dictionary(uniqueKeysWithValues: restored.map { ($0.topicPartition, StartPosition.offset($0.offset)) }),
                                     restoredEventTimes: Dictionary(uniqueKeysWithValues: restored.compactMap { split in split.maxEventTime.map { (split.topicPartition, $0) } }),
                                     restoredWriterWatermarks: Dictionary(uniqueKeysWithValues: restored.compactMap { split in split.writerWatermarks.map { (split.topicPartition, $0) } }))
    }

    /// A repartition topic's event time comes from its writers; `.untilWritersEnd` needs one.
    private func checkRepartitionSettings() throws {
        if let topic = repartitionTopic, watermarks != nil { throw RepartitionError.conflictingWatermarks(topic: topic.name) }
        if boundedness == .untilWritersEnd, repartitionTopic == nil {
            throw KafkaSourceError.noRepartitionTopic(topics: topics)
        }
    }
}
