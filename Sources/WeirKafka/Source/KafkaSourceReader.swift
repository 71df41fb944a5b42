import DequeModule
import Weir

/// One subtask's share of a ``KafkaSource``: its partitions, read with a ``KafkaConsumer``.
///
/// A poll hands out records the consumer fetched; the position checkpointed for a partition
/// is the offset after the last record handed out (or, once a fetch is fully handed out, the
/// consumer's position, which may lie further on, past markers and aborted records).
public struct KafkaSourceReader<Deserializer: KafkaRecordDeserializer>: SourceReader {
    public typealias Output = Deserializer.Output

    private let deserializer: Deserializer
    private let client: KafkaClient
    private var consumer: KafkaConsumer
    /// Fetched records not handed out yet, by partition, handed out one partition after the
    /// other record by record: a fetch brings up to a megabyte per partition, and handing out
    /// one partition's share before the next would run event time far ahead on one partition
    /// and make the others' records late for the watermark that follows the source.
    private var fetched: [Deque<ConsumedRecord>] = []
    private var nextPartition = 0
    /// The consumer's positions after the records in `fetched`.
    private var positionsAfterFetched: [TopicPartition: Int64] = [:]
    /// The offset after the last record handed out, by partition: what a checkpoint stores.
    private var positions: [TopicPartition: Int64]
    /// Bounded sources: where each partition ends.
    private var ends: [TopicPartition: Int64]?

    init(source: KafkaSource<Deserializer>, client: KafkaClient, starts: [TopicPartition: StartPosition]) throws {
        self.deserializer = source.deserializer
        self.client = client
        let configuration = source.consumer
        let boundedness = source.boundedness
        let (consumer, ends) = try awaitOnTaskThread {
            var consumer = KafkaConsumer(client: client, configuration: configuration)
            try await consumer.assign(starts)
            var ends: [TopicPartition: Int64]?
            if boundedness == .latestAtStart {
                ends = [:]
                for partition in starts.keys {
                    ends![partition] = try await client.offset(of: partition.topic, partition: partition.partition, at: .latest,
                                                               isolationLevel: configuration.isolationLevel)
                }
            }
            return (consumer, ends)
        }
        self.consumer = consumer
        self.ends = ends
        self.positions = consumer.positions
    }

    public mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
        if fetched.isEmpty {
            // A subtask without partitions (more subtasks than partitions) has nothing to read.
            if isAtEnd || positions.isEmpty { return .finished }
            let current = consumer
            let (polled, records) = try awaitOnTaskThread {
                var consumer = current
                let records = try await consumer.poll()
                return (consumer, records)
            }
            consumer = polled
            var byPartition: [TopicPartition: Deque<ConsumedRecord>] = [:]
            for record in records { byPartition[record.topicPartition, default: []].append(record) }
            fetched = byPartition.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map { byPartition[$0]! }
            nextPartition = 0
            positionsAfterFetched = polled.positions
            if fetched.isEmpty {
                adoptConsumerPositions()
                return .more
            }
        }
        while batch.count < maxRecords, !fetched.isEmpty {
            nextPartition %= fetched.count
            let consumed = fetched[nextPartition].removeFirst()
            if fetched[nextPartition].isEmpty { fetched.remove(at: nextPartition) } else { nextPartition += 1 }
            if let end = ends?[consumed.topicPartition], consumed.offset >= end { continue }
            positions[consumed.topicPartition] = consumed.offset + 1
            if let value = try deserializer.deserialize(consumed) {
                batch.append(StreamRecord(value, timestamp: consumed.record.timestamp))
            }
        }
        if fetched.isEmpty { adoptConsumerPositions() }
        return .more
    }

    /// Everything fetched was handed out: the consumer's positions (past markers and aborted
    /// records) are the reader's.
    private mutating func adoptConsumerPositions() {
        for (partition, position) in positionsAfterFetched {
            positions[partition] = max(positions[partition] ?? position, position)
        }
    }

    private var isAtEnd: Bool {
        guard let ends else { return false }
        return ends.allSatisfy { partition, end in (positions[partition] ?? 0) >= end }
    }

    public func snapshotSplits() throws -> [[UInt8]] {
        let encoder = BinaryStateEncoder()
        return try positions.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map { partition in
            try encoder.encode(KafkaPartitionSplit(topic: partition.topic, partition: partition.partition, offset: positions[partition]!))
        }
    }

    public mutating func close() {
        let client = self.client
        _ = try? awaitOnTaskThread { await client.close() }
    }
}
