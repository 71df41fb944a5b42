import Foundation
import NIOCore
import WeirKafka

extension KafkaClient {
    /// Every value of a topic as Weir's consumer delivers it, read until each partition's
    /// position reached its end (under read_committed: the last stable offset, so an open
    /// transaction left behind would stop the read short of the records after it) and nothing
    /// came for half a second — and, with `expecting`, not before that many values came (or
    /// 60 s passed): Tansu's marks can say "at the end" for more than half a second right after
    /// transactions end when the machine is loaded (seen in CI: a read stopped at 2,048 of
    /// 20,000 whose rerun read all). A value truly lost still fails the caller, after 60 s.
    package func readAllValues(topic: String, partitions: Int32, isolation: FetchRequest.IsolationLevel, expecting: Int? = nil) async throws -> [String] {
        var configuration = ConsumerConfiguration()
        configuration.isolationLevel = isolation
        configuration.maxWait = .milliseconds(50)
        var consumer = KafkaConsumer(client: self, configuration: configuration)
        let all = (0..<partitions).map { TopicPartition(topic: topic, partition: $0) }
        try await consumer.assign(Dictionary(uniqueKeysWithValues: all.map { ($0, StartPosition.earliest) }))
        var values: [String] = []
        let deadline = ContinuousClock.now + .seconds(60)
        var lastRecords = ContinuousClock.now
        var saidShort = false
        while ContinuousClock.now < deadline {
            let polled = try await consumer.poll()
            values += polled.compactMap { $0.record.value.map { String(buffer: $0) } }
            if !polled.isEmpty { lastRecords = .now }
            // At the end by the broker's marks, and quiet for a moment: Tansu's marks lag
            // behind its log right after transactions end (a read stopped at 4,096 of 20,000).
            if polled.isEmpty, all.allSatisfy({ consumer.lag(of: $0) == 0 }), ContinuousClock.now - lastRecords >= .milliseconds(500) {
                if values.count >= (expecting ?? 0) { break }
                if !saidShort {
                    // Evidence for the log: the marks said "at the end" short of the count.
                    FileHandle.standardError.write(Data("readAllValues(\(topic)): the broker's marks said the end at \(values.count) of \(expecting!) values; reading on\n".utf8))
                    for partition in all {
                        let report = await logReport(partition, from: consumer.positions[partition] ?? 0)
                        FileHandle.standardError.write(Data("readAllValues(\(topic)): \(report)\n".utf8))
                    }
                    saidShort = true
                }
            }
        }
        return values
    }

    /// What the log of `partition` holds from `offset` on, read_uncommitted, batch by batch
    /// (offsets, producer id and epoch, transactional or not, marker kind) with the fetch's
    /// high watermark and last stable offset: the evidence for why a read_committed read stopped.
    package func logReport(_ partition: TopicPartition, from offset: Int64) async -> String {
        do {
            let data = try await fetch(topic: partition.topic, partition: partition.partition, offset: offset, isolationLevel: .readUncommitted, maxWait: .milliseconds(10), maxBytes: 4 << 20)
            var bytes = data.records
            let batches = try RecordBatch.readAll(from: &bytes)
            let lines = try batches.prefix(40).map { batch -> String in
                let kind = batch.isControl ? "marker \(try batch.records.map { try ControlRecord($0).kind })" : (batch.isTransactional ? "transactional" : "plain")
                return "[\(batch.baseOffset)...\(batch.lastOffset)] producer \(batch.producerID) epoch \(batch.producerEpoch) \(kind)"
            }
            return "\(partition) from \(offset): high watermark \(data.highWatermark), last stable offset \(data.lastStableOffset), aborted listed \(data.abortedTransactions.count), \(batches.count) batches: " + lines.joined(separator: "; ")
        } catch {
            return "\(partition) from \(offset): \(error)"
        }
    }

    /// The transactions in `partition`'s log (read_uncommitted, from the start to the high
    /// watermark) that have batches but no marker after them — what holds a read_committed
    /// reader back forever — as "producer P epoch E: [first...last] (n batches)", with the last
    /// marker each such producer wrote; "none" if every transaction ended.
    package func openTransactionsReport(_ partition: TopicPartition) async -> String {
        do {
            var offset: Int64 = 0
            var open: [Int64: (epoch: Int16, first: Int64, last: Int64, batches: Int)] = [:]
            var lastMarker: [Int64: String] = [:]
            var highWatermark: Int64 = 0
            while true {
                let data = try await fetch(topic: partition.topic, partition: partition.partition, offset: offset, isolationLevel: .readUncommitted, maxWait: .milliseconds(10), maxBytes: 4 << 20)
                highWatermark = data.highWatermark
                var bytes = data.records
                let batches = try RecordBatch.readAll(from: &bytes)
                guard let last = batches.last else { break }
                for batch in batches where batch.lastOffset >= offset {
                    if batch.isControl {
                        open[batch.producerID] = nil
                        lastMarker[batch.producerID] = "\(try batch.records.map { try ControlRecord($0).kind }) at \(batch.baseOffset) epoch \(batch.producerEpoch)"
                    } else if batch.isTransactional {
                        let held = open[batch.producerID]
                        open[batch.producerID] = (batch.producerEpoch, held?.first ?? batch.baseOffset, batch.lastOffset, (held?.batches ?? 0) + 1)
                    }
                }
                offset = last.lastOffset + 1
                if offset >= highWatermark { break }
            }
            let lines = open.sorted { $0.value.first < $1.value.first }.map { producer, held in
                "producer \(producer) epoch \(held.epoch): [\(held.first)...\(held.last)] (\(held.batches) batches), its last marker: \(lastMarker[producer] ?? "none")"
            }
            return "\(partition) (high watermark \(highWatermark)): " + (lines.isEmpty ? "no open transaction" : lines.joined(separator: "; "))
        } catch {
            return "\(partition): \(error)"
        }
    }

    /// Writes `values` (key = value) round robin over the partitions in batches of 1,000.
    package func fill(topic: String, partitions: Int32, with values: [String], timestamp: Int64) async throws {
        for (index, start) in stride(from: 0, to: values.count, by: 1_000).enumerated() {
            let records = values[start..<min(start + 1_000, values.count)].map { KafkaRecord(timestamp: timestamp, key: nil, value: ByteBuffer(string: $0)) }
            _ = try await produce(RecordBatch(records: records), topic: topic, partition: Int32(index) % partitions)
        }
    }
}
