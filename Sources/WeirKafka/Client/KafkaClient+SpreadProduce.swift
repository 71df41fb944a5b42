import NIOCore

extension KafkaClient {
    /// Appends `records` to `topic` (it must exist), record *i* to partition *i* mod the topic's
    /// partition count, in batches of `batchSize` per partition: records that follow each
    /// other in time fill all partitions alike, as a test or benchmark input should. Returns
    /// the topic's partition count.
    @discardableResult
    public func produce(spreading records: some Sequence<KafkaRecord>, to topic: String, batchSize: Int = 1_000) async throws -> Int32 {
        _ = try await leader(of: topic, partition: 0)  // throws, naming the topic, if it does not exist
        let metadata = try await refreshMetadata(topics: [topic])
        let count = metadata.topics.first { $0.name == topic }?.partitions.count ?? 1
        var batches = [[KafkaRecord]](repeating: [], count: count)
        for (index, record) in records.enumerated() {
            let partition = index % count
            batches[partition].append(record)
            if batches[partition].count == batchSize {
                let batch = RecordBatch(records: batches[partition])
                batches[partition].removeAll(keepingCapacity: true)
                _ = try await produce(batch, topic: topic, partition: Int32(partition))
            }
        }
        for partition in batches.indices where !batches[partition].isEmpty {
            _ = try await produce(RecordBatch(records: batches[partition]), topic: topic, partition: Int32(partition))
        }
        return Int32(count)
    }
}
