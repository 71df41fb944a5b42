import XCTest
@testable import Weir
import WeirReferenceJobs

/// `stop()`: a final checkpoint commits everything up to the stop, no window fires because of
/// it, and a resumed run finishes the job exactly once.
final class StopWithCheckpointTests: XCTestCase {
    private var root = ""

    override func setUp() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-stop-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func windowJob(_ workload: ReferenceWorkload, resume: Bool) -> StreamEnvironment {
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: root + "/checkpoints", interval: .milliseconds(100))
        env.resume = resume ? .latest : .fresh
        let source = GeneratorSource(count: workload.events, ratePerSecond: 100_000) { workload.event($0) }
        let events: DataStream<ReferenceEvent> = env.addSource(source, name: "Generator").assignTimestampsAndWatermarks(workload.watermarkStrategy)
        let sums: DataStream<WindowSum> = events
            .keyBy { $0.key }
            .window(.tumbling(size: .seconds(1)))
            .aggregate(name: "WindowSum", SumAggregate()) { (key: Int, window: TimeWindow, total: SumAggregate.Total) -> WindowSum in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
        let encoder = RowEncoder<WindowSum>.csv { (sum: WindowSum) -> [String] in
            [String(sum.key), String(sum.windowStart), String(sum.windowEnd), String(sum.sum), String(sum.count)]
        }
        sums.sink(FileSink(directory: root + "/out", encoder: encoder), name: "Files")
        return env
    }

    private func committedSums() throws -> [WindowSum] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/out").filter { !$0.hasPrefix(".") }.flatMap { name in
            String(decoding: try DurableFile.read(root + "/out/" + name), as: UTF8.self).split(separator: "\n").map { line in
                let fields = line.split(separator: ",").map { Int64($0)! }
                return WindowSum(key: Int(fields[0]), windowStart: fields[1], windowEnd: fields[2], sum: fields[3], count: fields[4])
            }
        }
    }

    func testStopCommitsUpToAFinalCheckpointAndResumeFinishesExactlyOnce() throws {
        let workload = ReferenceWorkload(events: 200_000, keys: 200, eventsPerSecond: 20_000, disorderMilliseconds: 20, seed: 5)
        let first = windowJob(workload, resume: false)
        let stop = first.cancellation
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.8) { stop.stop() }
        let stopped = try first.execute("windows")
        XCTAssertTrue(stopped.stopped)
        XCTAssertEqual(stopped.checkpoints.last?.isFinal, true)
        XCTAssertLessThan(stopped.sourceRecords, 200_000, "the stop came before the end of the input")
        let expected = Set(workload.expectedWindowSums())
        let early = try committedSums()
        XCTAssertFalse(early.isEmpty, "windows that ended before the stop are committed")
        XCTAssertTrue(Set(early).isSubset(of: expected), "no window fired early because of the stop (its sum would be partial)")
        XCTAssertEqual(Set(early).count, early.count, "nothing twice")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/out/.inprogress"), [])

        let resumed = try windowJob(workload, resume: true).execute("windows")
        XCTAssertFalse(resumed.stopped)
        XCTAssertEqual(resumed.restoredFrom, stopped.checkpoints.last?.checkpointID)
        let all = try committedSums()
        XCTAssertEqual(all.count, expected.count, "no window twice")
        XCTAssertEqual(Set(all), expected)
    }
}
