import XCTest
@testable import Weir
import WeirTestSupport

/// `materializingWatermarks`: every record passes as a value, the watermark goes out as an
/// element too — in order with the records, increasing, throttled to the interval — and the
/// end of time always ends the elements.
final class MaterializedWatermarksTests: XCTestCase {
    /// Times 100, 200, …, 1,000 with a watermark after each record (monotonous: time − 1).
    private func run(interval: Duration) throws -> [WatermarkedElement<Int64>] {
        let env = StreamEnvironment(parallelism: 1)
        let collected = CollectSink<WatermarkedElement<Int64>>()
        env.fromCollection((1...10).map { Int64($0) * 100 })
            .assignTimestampsAndWatermarks(WatermarkStrategy<Int64>.monotonousTimestamps().withTimestampAssigner { $0 }.emittingWatermarks(everyRecords: 1))
            .materializingWatermarks(every: interval)
            .sink(collected)
        try env.execute()
        return collected.values
    }

    func testEveryWatermarkFollowsItsRecordsAndTheEndOfTimeComesLast() throws {
        let elements = try run(interval: .zero)
        var values: [Int64] = []
        var watermarks: [Watermark] = []
        for element in elements {
            switch element {
            case .value(let value):
                // No record behind a watermark already written.
                XCTAssertGreaterThan(value, watermarks.last?.timestamp ?? Int64.min, "\(elements)")
                values.append(value)
            case .watermark(let watermark):
                XCTAssertLessThan(watermarks.last ?? .initial, watermark, "increasing: \(elements)")
                watermarks.append(watermark)
            }
        }
        XCTAssertEqual(values, (1...10).map { Int64($0) * 100 })
        XCTAssertEqual(watermarks.last, .endOfTime)
        XCTAssertEqual(watermarks.dropLast(), (1...10).map { Watermark(Int64($0) * 100 - 1) }, "with no interval, every watermark")
    }

    func testTheIntervalThrottlesButNeverWithholdsTheEnd() throws {
        // An hour between written watermarks: the first goes out, then only the end of time.
        let elements = try run(interval: .seconds(3_600))
        let watermarks = elements.compactMap { element -> Watermark? in
            if case .watermark(let watermark) = element { return watermark }
            return nil
        }
        XCTAssertEqual(watermarks, [Watermark(99), .endOfTime])
        XCTAssertEqual(elements.count, 12)
    }
}
