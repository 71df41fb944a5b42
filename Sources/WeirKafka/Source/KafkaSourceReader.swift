import DequeModule
import Weir

/// One subtask's share of a ``KafkaSource``: its partitions, read with a ``KafkaConsumer``.
///
/// A poll hands out records the consumer fetched; the position checkpointed for a partition
/// is its first record not handed out yet (or, with none buffered, the consumer's position,
/// which may lie past markers and aborted records).
public struct KafkaSourceReader<Deserializer: KafkaRecordDeserializer>: SourceReader {
    /// What the reader emits.
    public typealias Output = Deserializer.Output

    private let deserializer: Deserializer
    private let client: KafkaClient
    private var consumer: KafkaConsumer
    /// Fetched records not handed out yet, by partition.
    private var buffers: [TopicPartition: Deque<ConsumedRecord>] = [:]
    /// Partitions that brought records in the latest fetch: while one of them has nothing
    /// buffered, the reader fetches before handing out more (it probably has more, older
    /// records than the others). Partitions that brought nothing are caught up and hold
    /// nothing back (an idle partition must not stop the others).
    private var active: Set<TopicPartition> = []
    /// Bounded sources: where each partition ends.
    private var ends: [TopicPartition: Int64]?
    private var needsFetch = true
    private let offsetCommitGroup: String?
    private let watermarks: WatermarkStrategy<Output>?
    /// Per-partition watermarks (with ``watermarks``): Weir's shared generator.
    private var partitionWatermarks: SplitWatermarks<TopicPartition>?
    /// For a repartition topic: the topic, and each partition's writers' latest watermarks.
    private let repartitionTopic: RepartitionTopic?
    private var writerWatermarks: [TopicPartition: [Int64]] = [:]
    private let endsWithWriters: Bool
    /// The positions each checkpoint not yet completed holds, for ``KafkaSource/offsetCommitGroup``.
    private let checkpointPositions = CheckpointPositions()

    /// Records buffered per partition before it is no longer fetched (until it drains).
    static var bufferLimit: Int { 20_000 }

    init(source: KafkaSource<Deserializer>, client: KafkaClient, starts: [TopicPartition: StartPosition], restoredEventTimes: [TopicPartition: Int64],
         restoredWriterWatermarks: [TopicPartition: [Int64]]) throws {
        self.deserializer = source.deserializer
        self.repartitionTopic = source.repartitionTopic
        self.endsWithWriters = source.boundedness == .untilWritersEnd
        if let topic = source.repartitionTopic {
            for partition in starts.keys {
                let restored = restoredWriterWatermarks[partition] ?? []
                writerWatermarks[partition] = restored.count == topic.writers ? restored : Array(repeating: Int64.min, count: topic.writers)
            }
        }
        self.client = client
        self.offsetCommitGroup = source.offsetCommitGroup
        self.watermarks = source.watermarks
        if let strategy = source.watermarks {
            var generator = SplitWatermarks<TopicPartition>(strategy: strategy)
            let now = ProcessingClock.nowMilliseconds()
            for partition in starts.keys { generator.assign(partition, restoredMaxEventTime: restoredEventTimes[partition], now: now) }
            partitionWatermarks = generator
        }
        let configuration = source.consumer
        let boundedness = source.boundedness
        let (consumer, ends) = try awaitOnTaskThread {
            var consumer = KafkaConsumer(client: client, configuration: configuration)
            try await consumer.assign(starts)
            var ends: [TopicPartition: Int64]?
            if boundedness == .latestAtStart {
                ends = [:]
                for partition in starts.keys {
                    ends![partition] = try await KafkaConsumer.end(of: partition, client: client, isolationLevel: configuration.isolationLevel)
                }
            }
            return (consumer, ends)
        }
        self.consumer = consumer
        self.ends = ends
    }

    /// Hands out buffered records in event-time order across the partitions (the smallest
    /// Kafka timestamp first), so that one partition's records do not run far ahead of another's
    /// and make the slower partition's records late for the watermark that follows the source.
    public mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
        if needsFetch {
            // A subtask without partitions (more subtasks than partitions) has nothing to read.
            if consumer.assignment.isEmpty || isAtEnd { return .finished }
            try fetch()
            needsFetch = false
        }
        while batch.count < maxRecords, !active.contains(where: { buffers[$0]?.isEmpty ?? true }), let partition = earliestBuffered() {
            // Records past a bounded partition's end were never buffered (fetch()).
            let consumed = buffers[partition]!.removeFirst()
            if let topic = repartitionTopic, let written = try topic.writerWatermark(in: consumed) {
                // In offset order: the writer's records before it in this partition are handed out.
                writerWatermarks[partition]![written.writer] = max(writerWatermarks[partition]![written.writer], written.watermark.timestamp)
                continue
            }
            if let value = try deserializer.deserialize(consumed) {
                var eventTime = consumed.record.timestamp
                if let watermarks {
                    eventTime = watermarks.timestampAssigner.map { $0(value, consumed.record.timestamp) } ?? eventTime
                    partitionWatermarks?.observe(eventTime, in: partition)
                }
                batch.append(StreamRecord(value, timestamp: eventTime))
            }
        }
        if active.contains(where: { buffers[$0]?.isEmpty ?? true }) || buffers.values.allSatisfy(\.isEmpty) { needsFetch = true }
        if partitionWatermarks != nil {
            // A partition with records still buffered is not idle; one read to its end holds nothing back.
            let now = ProcessingClock.nowMilliseconds()
            for (partition, buffered) in buffers where !buffered.isEmpty { partitionWatermarks!.markActive(partition, now: now) }
            for partition in consumer.assignment where isDone(partition) { partitionWatermarks!.finish(partition) }
        }
        return .more
    }

    /// The partition whose next buffered record has the smallest timestamp.
    private func earliestBuffered() -> TopicPartition? {
        var earliest: (partition: TopicPartition, timestamp: Int64)?
        for (partition, buffered) in buffers {
            guard let first = buffered.first else { continue }
            if earliest.map({ (first.record.timestamp, partition) < ($0.timestamp, $0.partition) }) ?? true {
                earliest = (partition, first.record.timestamp)
            }
        }
        return earliest?.partition
    }

    /// One poll of the consumer; partitions with a full buffer are not fetched this time.
    private mutating func fetch() throws {
        let full = buffers.filter { $0.value.count >= Self.bufferLimit }.map(\.key)
        consumer.resume(consumer.paused)
        consumer.pause(full)
        let current = consumer
        let (polled, records) = try awaitOnTaskThread {
            var consumer = current
            let records = try await consumer.poll()
            return (consumer, records)
        }
        consumer = polled
        active = []
        for record in records {
            if let end = ends?[record.topicPartition], record.offset >= end { continue }
            buffers[record.topicPartition, default: []].append(record)
            active.insert(record.topicPartition)
        }
        let now = ProcessingClock.nowMilliseconds()
        for (partition, buffered) in buffers where !buffered.isEmpty { partitionWatermarks?.markActive(partition, now: now) }
    }

    // MARK: Watermarks per partition

    /// The least of the partitions' watermarks (with ``KafkaSource/watermarks``), or of their
    /// writers' (with ``KafkaSource/repartitionTopic``).
    public var currentWatermark: Watermark? {
        if repartitionTopic != nil {
            // A partition all of whose writers ended holds nothing back; nor does the end of time
            // go out from here (the source's end does it, after the last records).
            let least = writerWatermarks.values.map { $0.min() ?? Int64.min }.filter { $0 != Int64.max }.min()
            return least.map(Watermark.init)
        }
        return partitionWatermarks?.watermark(now: ProcessingClock.nowMilliseconds())
    }

    /// Whether every partition of this subtask has been idle for the strategy's idle timeout.
    public var isIdle: Bool { partitionWatermarks?.isIdle(now: ProcessingClock.nowMilliseconds()) ?? false }

    /// A bounded partition read to its end (at its end offset, or after all its writers' ends).
    private func isDone(_ partition: TopicPartition) -> Bool {
        if endsWithWriters {
            return (buffers[partition]?.isEmpty ?? true) && (writerWatermarks[partition]?.allSatisfy { $0 == Int64.max } ?? false)
        }
        guard let end = ends?[partition] else { return false }
        return (buffers[partition]?.isEmpty ?? true) && (consumer.positions[partition] ?? 0) >= end
    }

    /// A bounded source whose partitions are all read to their ends.
    private var isAtEnd: Bool { (ends != nil || endsWithWriters) && consumer.assignment.allSatisfy(isDone) }

    /// The next record each partition delivers: the first buffered one, else where the
    /// consumer goes on (past markers and aborted records).
    private var positions: [TopicPartition: Int64] {
        var positions = consumer.positions
        for (partition, buffered) in buffers { if let first = buffered.first { positions[partition] = first.offset } }
        return positions
    }

    /// Each partition with the offset of its next record (and its largest event time).
    public func snapshotSplits() throws -> [[UInt8]] {
        let encoder = BinaryStateEncoder()
        let positions = self.positions
        return try positions.keys.sorted().map { partition in
            try encoder.encode(KafkaPartitionSplit(topic: partition.topic, partition: partition.partition, offset: positions[partition]!,
                                                   maxEventTime: partitionWatermarks?.maxEventTime(of: partition), writerWatermarks: writerWatermarks[partition]))
        }
    }

    /// The positions, kept for ``KafkaSource/offsetCommitGroup`` until the checkpoint completes.
    public func snapshotSplits(checkpointID: Int64) throws -> [[UInt8]] {
        if offsetCommitGroup != nil { checkpointPositions.byCheckpoint[checkpointID] = positions }
        return try snapshotSplits()
    }

    /// Commits the checkpoint's positions for ``KafkaSource/offsetCommitGroup`` (failures are ignored).
    public mutating func notifyCheckpointComplete(_ checkpointID: Int64) throws {
        guard let group = offsetCommitGroup, let positions = checkpointPositions.byCheckpoint[checkpointID] else { return }
        checkpointPositions.byCheckpoint = checkpointPositions.byCheckpoint.filter { $0.key > checkpointID }
        let client = self.client
        let offsets = positions.map { OffsetCommitRequest.PartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value, metadata: "weir checkpoint \(checkpointID)") }
        _ = try? awaitOnTaskThread { try await client.commitOffsets(offsets, groupID: group) }
    }

    /// Closes the client.
    public mutating func close() {
        let client = self.client
        _ = try? awaitOnTaskThread { await client.close() }
    }
}

/// What each pending checkpoint of a reader holds (a reference: snapshots are taken through a
/// non-mutating call). Used on the task's thread only.
final class CheckpointPositions {
    var byCheckpoint: [Int64: [TopicPartition: Int64]] = [:]
}
