extension KafkaClient {
    /// The end of what read_committed may deliver in `partition` now, up to `highWatermark`:
    /// the first offset of the earliest transaction that no marker has decided yet, or the high
    /// watermark if every one is decided — found by reading the log from the broker's last
    /// stable offset `reported` read_uncommitted and pairing transactional batches with markers.
    ///
    /// Why: Tansu 0.6 keeps a stale last stable offset (below transactions long committed), and a
    /// bounded read_committed source that trusted it would end early and drop what lies beyond
    /// without a word. Every transaction open now began at or after the reported offset (it was
    /// the earliest open one's start when the broker computed it), so the scan starts there; on
    /// a broker whose offset is current the scan finds that same offset.
    package func stableEnd(of partition: TopicPartition, reported: Int64, highWatermark: Int64) async throws -> Int64 {
        var firstOpen: [Int64: Int64] = [:]  // producer id → first offset of its undecided transaction
        var offset = reported
        while offset < highWatermark {
            let data = try await fetch(topic: partition.topic, partition: partition.partition, offset: offset, isolationLevel: .readUncommitted,
                                       maxWait: .milliseconds(10), maxBytes: 1 << 20)
            var bytes = data.records
            let batches = try RecordBatch.readAll(from: &bytes)
            guard let last = batches.last else {
                // Nothing below the high watermark came back (the log was truncated, or the
                // broker had no time): a wrong end would lose or repeat records, so say it.
                throw KafkaError.protocolViolation(broker: try await leader(of: partition.topic, partition: partition.partition), api: .fetch,
                                                   .malformed("no batches at offset \(offset) of \(partition.topic)-\(partition.partition), below its high watermark \(highWatermark)"))
            }
            for batch in batches where batch.lastOffset >= offset && batch.baseOffset < highWatermark {
                if batch.isControl {
                    firstOpen[batch.producerID] = nil
                } else if batch.isTransactional, batch.baseOffset >= reported, firstOpen[batch.producerID] == nil {
                    // (A batch that begins below the reported offset is of a decided transaction.)
                    firstOpen[batch.producerID] = batch.baseOffset
                }
            }
            offset = last.lastOffset + 1
        }
        return min(firstOpen.values.min() ?? highWatermark, highWatermark)
    }
}
