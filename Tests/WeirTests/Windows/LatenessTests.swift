import XCTest
@testable import Weir
import WeirTestSupport

/// Late records: dropped and counted, or sent to a side output, or — within the allowed
/// lateness — added to the window, which fires again. One subtask and a watermark after every
/// record make lateness deterministic.
final class LatenessTests: XCTestCase {
    /// Watermark = max timestamp - 1 after each record (monotonous strategy, emitted per record).
    let input: [Reading] = [
        Reading(key: "a", value: 1, time: 100),
        Reading(key: "a", value: 2, time: 900),
        Reading(key: "b", value: 4, time: 950),
        Reading(key: "a", value: 8, time: 1_200),   // watermark 1199: window [0,1000) fires: a=3, b=4
        Reading(key: "a", value: 16, time: 800),    // late for [0,1000)
        Reading(key: "b", value: 32, time: 2_600),  // watermark 2599: [1000,2000) fires: a=8
        Reading(key: "a", value: 64, time: 990),    // late, 1.6 s behind
        Reading(key: "a", value: 128, time: 1_999), // late for [1000,2000) by 0.6 s
    ]

    private func run(lateness: Duration, sideOutput: Bool) throws -> (results: [String], late: [Reading], dropped: Int) {
        let env = StreamEnvironment(parallelism: 1)
        let results = CollectSink<String>()
        let lateSink = CollectSink<Reading>()
        let lateTag = OutputTag<Reading>("late")
        var windowed = env.fromCollection(input)
            .assignTimestampsAndWatermarks(WatermarkStrategy<Reading>.monotonousTimestamps().withTimestampAssigner { $0.time }.emittingWatermarks(everyRecords: 1))
            .keyBy { $0.key }
            .window(.tumbling(size: .seconds(1)))
            .allowedLateness(lateness)
        if sideOutput { windowed = windowed.sideOutputLateData(lateTag) }
        let sums = windowed.reduce({ Reading(key: $0.key, value: $0.value + $1.value, time: max($0.time, $1.time)) }) { key, window, reading in
            "\(key)[\(window.start)]=\(reading.value)"
        }
        sums.sink(results)
        if sideOutput { sums.sideOutput(lateTag).sink(lateSink) }
        let result = try env.execute()
        return (results.values, lateSink.values, result.lateRecordsDropped)
    }

    func testLateRecordsAreDroppedCountedAndSentToTheSideOutput() throws {
        let (results, late, dropped) = try run(lateness: .zero, sideOutput: true)
        XCTAssertEqual(results.sorted(), ["a[0]=3", "b[0]=4", "a[1000]=8", "b[2000]=32"].sorted())
        XCTAssertEqual(late.map(\.value), [16, 64, 128])
        XCTAssertEqual(dropped, 3)
    }

    func testLateRecordsWithoutSideOutputAreStillCounted() throws {
        let (results, late, dropped) = try run(lateness: .zero, sideOutput: false)
        XCTAssertEqual(results.sorted(), ["a[0]=3", "b[0]=4", "a[1000]=8", "b[2000]=32"].sorted())
        XCTAssertEqual(late, [])
        XCTAssertEqual(dropped, 3)
    }

    func testAllowedLatenessRefiresWindowsWithUpdatedResults() throws {
        // Lateness 700 ms: [0,1000) lives until watermark 1699, [1000,2000) until 2699.
        let (results, late, dropped) = try run(lateness: .milliseconds(700), sideOutput: true)
        XCTAssertEqual(results.sorted(), [
            "a[0]=3", "b[0]=4",      // on time
            "a[0]=19",               // 800 arrives at watermark 1199: within lateness, re-fires
            "a[1000]=8",             // watermark 2599
            "a[1000]=136",           // 1999 at watermark 2599: within lateness, re-fires
            "b[2000]=32",
        ].sorted())
        XCTAssertEqual(late.map(\.value), [64], "990 arrives at watermark 2599, past [0,1000)'s lateness")
        XCTAssertEqual(dropped, 1)
    }
}
