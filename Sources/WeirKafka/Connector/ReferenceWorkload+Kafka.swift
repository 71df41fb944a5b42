import NIOCore
import Weir

extension ReferenceWorkload {
    /// Writes the workload's events into `topic` (it must exist) as lines `key,timestamp,value`
    /// keyed by the key, event *i* to partition *i* mod the topic's partition count (so the
    /// partitions advance through event time together), in batches of 1,000. The records'
    /// Kafka timestamps are event time from `base`, so that they follow event time without
    /// dating records 1970. Returns the topic's partition count.
    @discardableResult
    public func write(to topic: String, client: KafkaClient, base: Int64 = ProcessingClock.nowMilliseconds()) async throws -> Int32 {
        _ = try await client.leader(of: topic, partition: 0)  // throws, naming the topic, if it does not exist
        let metadata = try await client.refreshMetadata(topics: [topic])
        let count = Int64(metadata.topics.first { $0.name == topic }?.partitions.count ?? 1)
        var batches = [[KafkaRecord]](repeating: [], count: Int(count))
        func flush(_ partition: Int) async throws {
            guard !batches[partition].isEmpty else { return }
            _ = try await client.produce(RecordBatch(records: batches[partition]), topic: topic, partition: Int32(partition))
            batches[partition].removeAll(keepingCapacity: true)
        }
        for index in 0..<events {
            let event = self.event(index)
            let partition = Int(index % count)
            batches[partition].append(KafkaRecord(timestamp: base + event.timestamp, key: ByteBuffer(string: String(event.value.key)),
                                                  value: ByteBuffer(string: ReferenceEvent.line(event))))
            if batches[partition].count == 1_000 { try await flush(partition) }
        }
        for partition in batches.indices { try await flush(partition) }
        return Int32(count)
    }
}
