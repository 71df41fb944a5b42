import XCTest
@testable import Weir
import WeirReferenceJobs
import WeirTestSupport

final class WatermarkPropagationTests: XCTestCase {
    /// Two inputs of a union advance event time at very different speeds. The window after
    /// them must wait for the slower one (minimum of the inputs): were the faster input's
    /// watermark taken, the slow input's records would arrive late and be dropped.
    func testUnionAndKeyByTakeTheMinimumWatermarkOfTheirInputs() throws {
        for parallelism in [1, 2, 4] {
            let env = StreamEnvironment(parallelism: parallelism)
            env.runtime.batchSize = 64
            let strategy = WatermarkStrategy<ReferenceEvent>.monotonousTimestamps().emittingWatermarks(everyRecords: 1)
            let fast = env.addSource(GeneratorSource(count: 40_000) { StreamRecord(ReferenceEvent(key: Int($0 % 50), value: 1), timestamp: $0 * 5) }, name: "Fast")
                .assignTimestampsAndWatermarks(strategy)
            let slow = env.addSource(GeneratorSource(count: 40_000) { StreamRecord(ReferenceEvent(key: Int($0 % 50), value: 1), timestamp: $0 / 10) }, name: "Slow")
                .parallelism(1)
                .assignTimestampsAndWatermarks(strategy)
            let sink = CollectSink<WindowSum>()
            fast.union(slow)
                .keyBy { $0.key }
                .window(.tumbling(size: .seconds(1)))
                .aggregate(SumAggregate()) { key, window, total in WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count) }
                .sink(sink)
            let result = try env.execute()
            XCTAssertEqual(result.lateRecordsDropped, 0, "parallelism \(parallelism)")
            XCTAssertEqual(sink.values.reduce(0) { $0 + $1.count }, 80_000, "every record counted once, parallelism \(parallelism)")
        }
    }

    /// An idle input (alive, but quiet) must not stall event time once it is marked idle: the
    /// windows of the busy input fire while the quiet source is still running.
    func testIdleSourceDoesNotHoldBackWindows() throws {
        let env = StreamEnvironment(parallelism: 1)
        let busy = env.addSource(GeneratorSource(count: 5_000) { StreamRecord($0, timestamp: $0) }, name: "Busy")
        let quietStarted = ProcessingClock.nowMilliseconds()
        let quiet = env.addSource(LingeringSource(records: [StreamRecord(Int64(-1), timestamp: 0)], lingerMilliseconds: 1_500), name: "Quiet")
        let strategy = WatermarkStrategy<Int64>.monotonousTimestamps().withIdleness(.milliseconds(200))
        let sink = TimedCollectSink<Int64>()
        busy.assignTimestampsAndWatermarks(strategy)
            .union(quiet.assignTimestampsAndWatermarks(strategy))
            .keyBy { _ in 0 }
            .window(.tumbling(size: .seconds(1)))
            .reduce { $0 + $1 }
            .sink(sink)
        try env.execute()
        let entries = sink.entries
        XCTAssertEqual(entries.count, 5)
        let firstWindowAt = try XCTUnwrap(entries.first?.atMilliseconds)
        XCTAssertLessThan(firstWindowAt - quietStarted, 1_200, "the first window fired while the quiet source was still open (it closes after 1.5 s)")
    }
}
