import XCTest
@testable import Weir

final class WatermarkValveTests: XCTestCase {
    func testWatermarkIsMinimumOverChannelsAndOnlyAdvances() {
        var valve = WatermarkValve(channelCount: 3)
        XCTAssertNil(valve.watermark(Watermark(10), channel: 0).watermark)
        XCTAssertNil(valve.watermark(Watermark(20), channel: 1).watermark)
        XCTAssertEqual(valve.watermark(Watermark(5), channel: 2).watermark, Watermark(5))
        XCTAssertNil(valve.watermark(Watermark(3), channel: 2).watermark, "a channel's watermark never goes back")
        XCTAssertEqual(valve.watermark(Watermark(30), channel: 2).watermark, Watermark(10))
        XCTAssertEqual(valve.watermark(Watermark(40), channel: 0).watermark, Watermark(20))
        XCTAssertEqual(valve.current, Watermark(20))
    }

    func testFinishedChannelNoLongerHoldsBackTheWatermark() {
        var valve = WatermarkValve(channelCount: 2)
        _ = valve.watermark(Watermark(100), channel: 0)
        XCTAssertEqual(valve.finish(channel: 1).watermark, Watermark(100))
        XCTAssertEqual(valve.watermark(Watermark(200), channel: 0).watermark, Watermark(200))
        XCTAssertNil(valve.watermark(Watermark(300), channel: 1).watermark, "a finished channel is ignored")
    }

    func testFinishedChannelsAndIdleChannelsLetEventTimeRunToTheEnd() {
        var valve = WatermarkValve(channelCount: 2)
        _ = valve.watermark(Watermark(10), channel: 1)
        XCTAssertEqual(valve.finish(channel: 0).watermark, Watermark(10), "channel 1 alone decides")
        XCTAssertEqual(valve.idleness(true, channel: 1), .init(watermark: .endOfTime, idleness: nil),
                       "the only unfinished channel is idle: nothing holds event time back")
        XCTAssertFalse(valve.isIdle, "a task with a finished input is not idle")
    }

    func testIdleChannelIsExcludedAndAllIdleMakesTheTaskIdle() {
        var valve = WatermarkValve(channelCount: 2)
        _ = valve.watermark(Watermark(50), channel: 0)
        XCTAssertEqual(valve.idleness(true, channel: 1), .init(watermark: Watermark(50), idleness: nil))
        XCTAssertEqual(valve.watermark(Watermark(60), channel: 0).watermark, Watermark(60))
        XCTAssertEqual(valve.idleness(true, channel: 0), .init(watermark: nil, idleness: true))
        XCTAssertTrue(valve.isIdle)
        XCTAssertEqual(valve.idleness(false, channel: 1), .init(watermark: nil, idleness: false), "channel 1 is back at its old watermark 0")
        XCTAssertEqual(valve.watermark(Watermark(70), channel: 1).watermark, Watermark(70), "channel 0 is idle, so channel 1 alone decides")
    }

    func testStoppedChannelsReleaseButDoNotEndEventTime() {
        var valve = WatermarkValve(channelCount: 2)
        _ = valve.watermark(Watermark(10), channel: 0)
        _ = valve.watermark(Watermark(20), channel: 1)
        XCTAssertEqual(valve.finish(channel: 0, stopped: true).watermark, Watermark(20), "a stopped channel no longer holds back")
        XCTAssertEqual(valve.finish(channel: 1, stopped: true), .init(watermark: nil, idleness: nil), "but a stop does not end event time")
        XCTAssertEqual(valve.current, Watermark(20))
    }
}
