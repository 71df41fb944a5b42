import XCTest
@testable import Weir

/// The watermark generator driven by hand: records and processing-time ticks in, control
/// elements out.
final class TimestampsAndWatermarksTests: XCTestCase {
    enum Event: Equatable {
        case record(Int64)
        case watermark(Int64)
        case idle(Bool)
    }

    final class Recorder {
        var events: [Event] = []
        var output: Output<Int64> {
            Output(emit: { [unowned self] _, timestamp in events.append(.record(timestamp)) },
                   emitWatermark: { [unowned self] in events.append(.watermark($0.timestamp)) },
                   emitIdleness: { [unowned self] in events.append(.idle($0)) }, emitBarrier: { _ in },
                   advanceProcessingTime: { _ in }, flush: {}, finish: {})
        }
    }

    func testPeriodicWatermarkTrailsTheLargestTimestampByTheBound() throws {
        let recorder = Recorder()
        let generator = TimestampsAndWatermarksOperator(output: recorder.output, strategy: .boundedOutOfOrderness(.milliseconds(100)), now: 0)
        for time: Int64 in [1_000, 1_500, 1_200] { try generator.processRecord(time, timestamp: time) }
        try generator.advanceProcessingTime(to: 150)
        XCTAssertEqual(recorder.events, [.record(1_000), .record(1_500), .record(1_200)], "no watermark before the 200 ms period")
        try generator.advanceProcessingTime(to: 200)
        XCTAssertEqual(recorder.events.last, .watermark(1_399))
        try generator.advanceProcessingTime(to: 400)
        XCTAssertEqual(recorder.events.count, 4, "an unchanged watermark is not sent again")
        try generator.processWatermark(.endOfTime)
        XCTAssertEqual(recorder.events.last, .watermark(Int64.max), "the end of time a finished input sends passes through")
        try generator.processWatermark(Watermark(10_000))
        XCTAssertEqual(recorder.events.last, .watermark(Int64.max), "other upstream watermarks do not")
    }

    func testPerRecordEmissionIsDeterministic() throws {
        let recorder = Recorder()
        let generator = TimestampsAndWatermarksOperator(output: recorder.output, strategy: WatermarkStrategy.monotonousTimestamps().emittingWatermarks(everyRecords: 1), now: 0)
        for time: Int64 in [5, 9, 7] { try generator.processRecord(time, timestamp: time) }
        XCTAssertEqual(recorder.events, [.record(5), .watermark(4), .record(9), .watermark(8), .record(7)])
    }

    func testIdlenessIsDeclaredAfterTheTimeoutWithoutRecordsAndLiftedByTheNextRecord() throws {
        let recorder = Recorder()
        let strategy = WatermarkStrategy<Int64>.monotonousTimestamps().emittingWatermarks(everyRecords: 1).withIdleness(.milliseconds(300))
        let generator = TimestampsAndWatermarksOperator(output: recorder.output, strategy: strategy, now: 0)
        // A busy source: a record between every tick. Emitting per record must not look like silence.
        for tick in 1...10 {
            try generator.processRecord(Int64(tick), timestamp: Int64(tick))
            try generator.advanceProcessingTime(to: Int64(tick) * 50)
        }
        XCTAssertFalse(recorder.events.contains(.idle(true)), "records arrived all the time")
        try generator.advanceProcessingTime(to: 700)
        XCTAssertFalse(recorder.events.contains(.idle(true)), "200 ms of silence is below the timeout")
        try generator.advanceProcessingTime(to: 800)
        XCTAssertEqual(recorder.events.last, .idle(true))
        try generator.processRecord(11, timestamp: 11)
        XCTAssertEqual(Array(recorder.events.suffix(3)), [.idle(false), .record(11), .watermark(10)])
    }
}
