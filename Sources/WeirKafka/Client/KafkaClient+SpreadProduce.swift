import NIOCore

extension KafkaClient {
    /// Appends `records` to `topic` (it must exist), record *i* to partition *i* mod the topic's
    /// partition count, in batches of `batchSize` per partition: records that follow each
    /// other in time fill all partitions alike, as a test or benchmark input should. Returns
    /// the topic's partition count.
    @discardableResult
    public func produce(spreading records: some Sequence<KafkaRecord>, to topic: String, batchSize: Int = 1_000) async throws -> Int32 {
        try await produce(records, to: topic, batchSize: batchSize) { index, _, count in index % count }
    }

    /// Appends `records` to `topic` (it must exist), each to the partition of its key as Kafka's
    /// default partitioner (and ``KafkaSink``) chooses it — murmur2 of the key bytes — so that
    /// all records of a key are in one partition, as worker tasks (``KafkaGroupWorker``) need.
    /// Records without a key go to partition 0. Returns the topic's partition count.
    @discardableResult
    public func produce(partitioningByKey records: some Sequence<KafkaRecord>, to topic: String, batchSize: Int = 1_000) async throws -> Int32 {
        try await produce(records, to: topic, batchSize: batchSize) { _, record, count in
            guard let key = record.key else { return 0 }
            return Int(KafkaPartitioner.partition(ofKey: key, partitions: Int32(count)))
        }
    }

    private func produce(_ records: some Sequence<KafkaRecord>, to topic: String, batchSize: Int,
                         partition choose: (_ index: Int, _ record: KafkaRecord, _ count: Int) -> Int) async throws -> Int32 {
        _ = try await leader(of: topic, partition: 0)  // throws, naming the topic, if it does not exist
        let metadata = try await refreshMetadata(topics: [topic])
        let count = metadata.topics.first { $0.name == topic }?.partitions.count ?? 1
        var batches = [[KafkaRecord]](repeating: [], count: count)
        for (index, record) in records.enumerated() {
            let partition = choose(index, record, count)
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
