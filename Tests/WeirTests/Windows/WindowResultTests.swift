import XCTest
@testable import Weir
import WeirReferenceJobs
import WeirTestSupport

/// Window results against expectations computed here, without the engine, from the same
/// seeded input: out of order, many keys, and the same at every parallelism.
final class WindowResultTests: XCTestCase {
    /// 200,000 events over 2,000 keys, displaced up to 80 ms backwards (out of order).
    let workload = ReferenceWorkload(events: 200_000, keys: 2_000, eventsPerSecond: 50_000, disorderMilliseconds: 80, seed: 7)

    private func run<T: Sendable>(parallelism: Int, _ build: (StreamEnvironment) -> DataStream<T>) throws -> (values: [T], result: JobExecutionResult) {
        let env = StreamEnvironment(parallelism: parallelism)
        env.runtime.batchSize = 256  // many batches, so that channels interleave
        let sink = CollectSink<T>()
        build(env).sink(sink)
        let result = try env.execute()
        return (sink.values, result)
    }

    func testTumblingWindowSumsMatchExpectationAtParallelism1_2_4() throws {
        let expected = workload.expectedWindowSums(windowMilliseconds: 1_000)
        XCTAssertEqual(expected.count, 2_000 * 4, "4 s of event time: 4 windows per key")
        for parallelism in [1, 2, 4] {
            let (values, result) = try run(parallelism: parallelism) { workload.windowSums(in: $0) }
            XCTAssertEqual(sortedSums(values), expected, "parallelism \(parallelism)")
            XCTAssertEqual(result.lateRecordsDropped, 0, "the watermark trails by the disorder bound, so nothing is late")
            XCTAssertEqual(result.sourceRecords, 200_000)
        }
    }

    func testSlidingWindowSumsMatchExpectation() throws {
        // Expected: every event belongs to the 4 windows of size 2 s sliding by 500 ms that contain it.
        struct Slot: Hashable { var key: Int; var start: Int64 }
        var sums: [Slot: Int64] = [:]
        for index in 0..<workload.events {
            let record = workload.event(index)
            var start = record.timestamp - ((record.timestamp % 500) + 500) % 500
            while start > record.timestamp - 2_000 {
                sums[Slot(key: record.value.key, start: start), default: 0] += record.value.value
                start -= 500
            }
        }
        let expected = sums.map { "\($0.key.key)@\($0.key.start)=\($0.value)" }.sorted()
        for parallelism in [1, 2, 4] {
            let (values, _) = try run(parallelism: parallelism) { env in
                env.addSource(workload.source)
                    .assignTimestampsAndWatermarks(workload.watermarkStrategy)
                    .keyBy { $0.key }
                    .window(.sliding(size: .seconds(2), slide: .milliseconds(500)))
                    .reduce({ ReferenceEvent(key: $0.key, value: $0.value + $1.value) }) { key, window, event in
                        "\(key)@\(window.start)=\(event.value)"
                    }
            }
            XCTAssertEqual(values.sorted(), expected, "parallelism \(parallelism)")
        }
    }

    func testSessionWindowsMatchExpectation() throws {
        // 30 keys; each key's events come every 10 ms in bursts of 40, bursts 1 s apart; a few
        // events are displaced backwards by up to 25 ms. Gap 100 ms: one session per burst.
        let keys = 30, gap: Int64 = 100
        let generator = GeneratorSource<Reading>(count: 30 * 40 * 6) { index in
            let key = Int(index) % keys
            let step = index / Int64(keys)
            var random = SplitMix64(seed: UInt64(index))
            let time = step * 10 + (step / 40) * 1_000 - Int64(random.next() % 26)
            return StreamRecord(Reading(key: "k\(key)", value: Int(index), time: time), timestamp: time)
        }
        var byKey: [String: [Int64]] = [:]
        var reader = try generator.makeReader(SourceContext(subtask: 0, parallelism: 1, operatorName: "expected"))
        var all: [StreamRecord<Reading>] = []
        while try reader.poll(into: &all, maxRecords: 10_000) != .finished {}
        for record in all { byKey[record.value.key, default: []].append(record.timestamp) }
        var expected: [String] = []
        for (key, times) in byKey {
            var sessionStart = Int64.min, sessionEnd = Int64.min, count = 0
            for time in times.sorted() {
                if time <= sessionEnd {
                    sessionEnd = max(sessionEnd, time + gap)
                    count += 1
                } else {
                    if count > 0 { expected.append("\(key) [\(sessionStart),\(sessionEnd)) \(count)") }
                    sessionStart = time; sessionEnd = time + gap; count = 1
                }
            }
            expected.append("\(key) [\(sessionStart),\(sessionEnd)) \(count)")
        }
        XCTAssertEqual(expected.count, 30 * 6)
        for parallelism in [1, 2, 4] {
            let (values, result) = try run(parallelism: parallelism) { env in
                env.addSource(generator)
                    .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(25)))
                    .keyBy { $0.key }
                    .window(.session(gap: .milliseconds(gap)))
                    .process { (key: String, window: TimeWindow, readings: [Reading], out: WindowCollector<String>) in
                        try out.collect("\(key) [\(window.start),\(window.end)) \(readings.count)")
                    }
            }
            XCTAssertEqual(values.sorted(), expected.sorted(), "parallelism \(parallelism)")
            XCTAssertEqual(result.lateRecordsDropped, 0)
        }
    }

    func testWindowResultsCarryTheWindowMaxTimestamp() throws {
        let env = StreamEnvironment(parallelism: 1)
        let sink = CollectSink<Int>()
        env.addSource(CollectionSource(records: [StreamRecord(1, timestamp: 10), StreamRecord(2, timestamp: 1_500)]))
            .assignTimestampsAndWatermarks(.monotonousTimestamps())
            .keyBy { _ in 0 }
            .window(.tumbling(size: .seconds(1)))
            .reduce(+)
            .sink(sink)
        try env.execute()
        let records = sink.records
        XCTAssertEqual(records.map(\.timestamp), [999, 1_999])
        XCTAssertEqual(records.map(\.value), [1, 2])
    }

    func testRecordsWithoutTimestampFailTheJobWithAnExplanation() {
        let env = StreamEnvironment(parallelism: 1)
        env.fromCollection([1, 2, 3])
            .keyBy { $0 }
            .window(.tumbling(size: .seconds(1)))
            .reduce(+)
            .sink(CollectSink())
        XCTAssertThrowsError(try env.execute()) { error in
            let failure = error as? OperatorFailure
            XCTAssertEqual(failure?.location.operatorName, "Window(tumbling(1000 ms))")
            XCTAssertTrue("\(error)".contains("assignTimestampsAndWatermarks"), "\(error)")
        }
    }
}
