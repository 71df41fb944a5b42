import Foundation
import NIOCore
import Weir
import WeirKafka
import XCTest
import WeirReferenceJobs
import WeirTestSupport
import WeirKafkaTestSupport

/// Watermarks per partition in the Kafka source: a partition that has brought nothing yet
/// holds event time back, so its records are counted when they come, where one watermark after
/// the source (over the subtask's mixed partitions) has already passed them and drops them as
/// late. With an idle timeout, a silent partition stops holding it back.
final class KafkaSourceWatermarkTests: XCTestCase {
    /// Event times 0…9,999 ms as `t` lines (one per ms) with Kafka timestamps base + t.
    private func events(_ base: Int64, _ range: Range<Int64>) -> [KafkaRecord] {
        range.map { KafkaRecord(timestamp: base + $0, key: nil, value: ByteBuffer(string: "\($0)")) }
    }

    private enum Watermarking { case perPartition, afterTheSource, perPartitionWithIdleness }

    /// Partition 0 has 10 s of events at start, partition 1 gets the same 10 s once the job
    /// read partition 0; then both get one event at 20 s. The window counts per second.
    private func windowCounts(_ watermarking: Watermarking) async throws -> (counts: [Int64: Int64], windows: Int) {
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-events", partitions: 2)
        let base = Int64(Date().timeIntervalSince1970 * 1_000)
        _ = try await client.produce(RecordBatch(records: events(base, 0..<10_000)), topic: "weir-events", partition: 0)

        let env = StreamEnvironment(parallelism: 1)
        env.warningHandler = { _ in }
        var source = KafkaSource(bootstrap: [broker.address], topics: ["weir-events"], deserializer: KafkaUTF8Deserializer())
        let eventTime: @Sendable (String, Int64) -> Int64 = { _, kafkaTimestamp in kafkaTimestamp - base }
        var strategy = WatermarkStrategy<String>.boundedOutOfOrderness(.zero)
        strategy.timestampAssigner = eventTime
        if watermarking == .perPartitionWithIdleness { strategy = strategy.withIdleness(.milliseconds(300)) }
        if watermarking != .afterTheSource { source.watermarks = strategy }
        var stream = env.addSource(source, name: "Kafka")
        if watermarking == .afterTheSource { stream = stream.assignTimestampsAndWatermarks(strategy) }
        let counts = ImmediateCollectSink<WindowSum>()
        stream.map(name: "One") { (_: String) in ReferenceEvent(key: 0, value: 1) }
            .keyBy { $0.key }
            .window(.tumbling(size: .seconds(1)))
            .aggregate(name: "Count", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
            .sink(counts)
        let cancellation = env.cancellation
        let job = Task.detached { try env.execute("watermarks") }

        // The job reads partition 0; then partition 1 gets the same event times, then both move on.
        try await Task.sleep(for: .seconds(2))
        _ = try await client.produce(RecordBatch(records: events(base, 0..<10_000)), topic: "weir-events", partition: 1)
        for partition in Int32(0)...1 { _ = try await client.produce(RecordBatch(records: events(base, 20_000..<20_001)), topic: "weir-events", partition: partition) }
        let deadline = ContinuousClock.now + .seconds(20)
        while counts.values.count < 10, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(300))
        cancellation.cancel()
        _ = try? await job.value
        await client.close()
        return (Dictionary(counts.values.map { ($0.windowStart, $0.count) }, uniquingKeysWith: +), counts.values.count)
    }

    /// Partition 0 alone moves the watermark to 9,998 ms: seconds 0–8 fire with its 1,000
    /// events each, partition 1's come late for them; the last second is still open.
    private var onlyPartition0BeforeTheLastSecond: [Int64: Int64] {
        Dictionary(uniqueKeysWithValues: (0..<10).map { (Int64($0) * 1_000, Int64($0 == 9 ? 2_000 : 1_000)) })
    }

    func testLaggingPartitionHoldsEventTimeBackAndItsRecordsCount() async throws {
        let perPartition = try await windowCounts(.perPartition)
        XCTAssertEqual(perPartition.counts, Dictionary(uniqueKeysWithValues: (0..<10).map { (Int64($0) * 1_000, Int64(2_000)) }),
                       "every second has its 1,000 events of each partition")
    }

    func testOneWatermarkAfterTheSourceDropsTheLaggingPartitionAsLate() async throws {
        let afterTheSource = try await windowCounts(.afterTheSource)
        XCTAssertEqual(afterTheSource.counts, onlyPartition0BeforeTheLastSecond,
                       "partition 1's records came after partition 0 had moved the watermark past them; only the last second was still open")
    }

    func testIdlePartitionStopsHoldingEventTimeBack() async throws {
        // Partition 1 is silent for 2 s: after the 300 ms idle timeout partition 0 alone drives
        // event time, its windows fire, and partition 1's records come too late — the price of
        // idleness, as in Flink.
        let idle = try await windowCounts(.perPartitionWithIdleness)
        XCTAssertEqual(idle.counts, onlyPartition0BeforeTheLastSecond)
    }
}
