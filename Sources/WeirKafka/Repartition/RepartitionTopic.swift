import NIOCore
import Weir

/// A Kafka topic between two stages of a job run by workers (a repartition hop): the tasks of
/// the upstream stage write every record to the partition of its key's key group, in Kafka
/// transactions committed with their own checkpoints; each task of the downstream stage reads
/// one partition read_committed, with the offset in its own checkpoint. So each task's
/// checkpoint stands on its own and exactly-once composes hop by hop (docs/CLUSTER.md).
///
/// Key groups, not a hash of the key bytes, decide the partition: partition *p* holds the
/// contiguous range of key groups that subtask *p* of `partitions` would own in one process
/// (`KeyGroupRange.forSubtask(_:parallelism:maxParallelism:)`), so a downstream task's keyed
/// state is exactly those key groups.
///
/// Event time crosses the hop in the topic too: every writer writes its watermark into every
/// partition (a record with the ``watermarkHeader`` header and no value), and a reader's
/// watermark for a partition is the least of its writers' — a writer that lags (restarting
/// from its checkpoint, say) holds the reader's event time back instead of having its records
/// dropped as late. A writer's end of time says it ended; a bounded reader ends when all of
/// them have (``KafkaSource/Boundedness/untilWritersEnd``).
public struct RepartitionTopic: Sendable, Hashable {
    /// The topic's name.
    public var name: String
    /// Its partitions: the downstream stage's tasks. At most ``maxParallelism``.
    public var partitions: Int32
    /// The key groups of the job (`StreamEnvironment.maxParallelism`, default 128).
    public var maxParallelism: Int
    /// How many tasks write into it (the upstream stage's tasks): a reader's watermark waits
    /// for all of them.
    public var writers: Int

    /// The header that marks a watermark record: its value is `writer,writers,timestamp` as text.
    public static let watermarkHeader = "weir-watermark"

    /// A repartition topic; fails unless `0 < partitions <= maxParallelism` and `writers > 0`.
    public init(name: String, partitions: Int32, maxParallelism: Int = 128, writers: Int) throws {
        guard partitions > 0, Int(partitions) <= maxParallelism, writers > 0 else {
            throw RepartitionError.invalidTopic(name, reason: "it needs 1...\(maxParallelism) partitions (at most the max parallelism, \(maxParallelism)) and at least one writer, not \(partitions) partitions and \(writers) writers")
        }
        self.name = name
        self.partitions = partitions
        self.maxParallelism = maxParallelism
        self.writers = writers
    }

    /// The partition `key`'s records go to: the one whose key-group range holds its key group.
    public func partition<Key: StableHashable>(of key: Key) -> Int32 {
        let keyGroup = KeyGroupRange.keyGroup(of: key, maxParallelism: maxParallelism)
        return Int32(KeyGroupRange.subtask(owning: keyGroup, parallelism: Int(partitions), maxParallelism: maxParallelism))
    }

    /// The key groups of `partition`'s records.
    public func keyGroups(of partition: Int32) -> KeyGroupRange {
        KeyGroupRange.forSubtask(Int(partition), parallelism: Int(partitions), maxParallelism: maxParallelism)
    }

    /// Writer `writer`'s watermark record for `partition`.
    func watermarkRecord(_ watermark: Watermark, writer: Int, partition: Int32) -> KafkaProducerRecord {
        let header = KafkaHeader(key: Self.watermarkHeader, value: ByteBuffer(string: "\(writer),\(writers),\(watermark.timestamp)"))
        // The time of writing: the end of time is no Kafka timestamp a broker keeps.
        return KafkaProducerRecord(value: nil, headers: [header], partition: partition, timestamp: ProcessingClock.nowMilliseconds())
    }

    /// A writer's watermark in a record read from the topic, `nil` for a data record.
    func writerWatermark(in record: ConsumedRecord) throws -> (writer: Int, watermark: Watermark)? {
        guard let header = record.record.headers.first(where: { $0.key == Self.watermarkHeader }) else { return nil }
        let text = header.value.map { String(buffer: $0) } ?? ""
        let fields = text.split(separator: ",")
        guard fields.count == 3, let writer = Int(fields[0]), let count = Int(fields[1]), let timestamp = Int64(fields[2]), writer >= 0, writer < count else {
            throw RepartitionError.badWatermark(record.topicPartition, offset: record.offset, reason: "its \(Self.watermarkHeader) header \"\(text)\" is not writer,writers,timestamp")
        }
        guard count == writers else {
            throw RepartitionError.badWatermark(record.topicPartition, offset: record.offset,
                                                reason: "written by writer \(writer) of \(count), but the reader expects \(writers) writers (was the upstream stage rescaled? a new repartition topic is needed)")
        }
        return (writer, Watermark(timestamp))
    }
}
