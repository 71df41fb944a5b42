import XCTest
@testable import Weir

/// The tests name barriers by checkpoint id; time stands still unless a test moves it.
extension BarrierAligner {
    mutating func barrier(_ checkpointID: Int64, channel: Int, at now: UInt64 = 0) -> [Action] {
        barrier(CheckpointBarrier(checkpointID: checkpointID, timestampMilliseconds: checkpointID * 10), channel: channel, now: now)
    }
    mutating func endOfInput(channel: Int) -> [Action] { endOfInput(channel: channel, now: 0) }
}

extension BarrierAligner.Action {
    static func snapshot(checkpointID: Int64, aligned: UInt64 = 0) -> Self {
        .snapshot(CheckpointBarrier(checkpointID: checkpointID, timestampMilliseconds: checkpointID * 10), alignmentNanoseconds: aligned)
    }
}

final class BarrierAlignerTests: XCTestCase {
    func testTheSnapshotCarriesTheBarrierAndItsAlignmentTime() {
        var aligner = BarrierAligner(channelCount: 3, mode: .exactlyOnce)
        XCTAssertEqual(aligner.barrier(4, channel: 2, at: 1_000), [.block(channel: 2)])
        XCTAssertEqual(aligner.barrier(4, channel: 0, at: 1_500), [.block(channel: 0)])
        XCTAssertEqual(aligner.endOfInput(channel: 1, now: 4_000), [.snapshot(checkpointID: 4, aligned: 3_000)], "from the first arrival to the end that completed it")
        XCTAssertEqual(aligner.barrier(5, channel: 0, at: 9_000), [.block(channel: 0)])
        XCTAssertEqual(aligner.barrier(6, channel: 2, at: 9_100), [.abandon(checkpointID: 5), .block(channel: 2)])
        XCTAssertEqual(aligner.barrier(6, channel: 0, at: 9_400), [.snapshot(checkpointID: 6, aligned: 300)], "a new alignment starts its own clock")
    }

    func testExactlyOnceBlocksEachChannelUntilAllBarriersArrived() {
        var aligner = BarrierAligner(channelCount: 3, mode: .exactlyOnce)
        XCTAssertEqual(aligner.barrier(1, channel: 1), [.block(channel: 1)])
        XCTAssertEqual(aligner.barrier(1, channel: 0), [.block(channel: 0)])
        XCTAssertTrue(aligner.isAligning)
        XCTAssertEqual(aligner.barrier(1, channel: 2), [.snapshot(checkpointID: 1)])
        XCTAssertFalse(aligner.isAligning)
        XCTAssertEqual(aligner.barrier(1, channel: 2), [], "a repeated barrier is ignored")
    }

    func testEveryArrivalOrderOfThreeChannelsSnapshotsOnceAfterTheLast() {
        for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            var aligner = BarrierAligner(channelCount: 3, mode: .exactlyOnce)
            var actions: [BarrierAligner.Action] = []
            for channel in order { actions += aligner.barrier(7, channel: channel) }
            XCTAssertEqual(actions, [.block(channel: order[0]), .block(channel: order[1]), .snapshot(checkpointID: 7)], "order \(order)")
        }
    }

    func testAtLeastOnceNeverBlocksButSnapshotsAfterTheLastBarrier() {
        var aligner = BarrierAligner(channelCount: 2, mode: .atLeastOnce)
        XCTAssertEqual(aligner.barrier(3, channel: 0), [])
        XCTAssertEqual(aligner.barrier(3, channel: 1), [.snapshot(checkpointID: 3)])
    }

    func testSingleChannelSnapshotsAtOnce() {
        var aligner = BarrierAligner(channelCount: 1, mode: .exactlyOnce)
        XCTAssertEqual(aligner.barrier(1, channel: 0), [.snapshot(checkpointID: 1)])
    }

    func testEndedChannelNoLongerHoldsBackAlignment() {
        var aligner = BarrierAligner(channelCount: 3, mode: .exactlyOnce)
        XCTAssertEqual(aligner.barrier(2, channel: 0), [.block(channel: 0)])
        XCTAssertEqual(aligner.endOfInput(channel: 1), [])
        XCTAssertEqual(aligner.endOfInput(channel: 2), [.snapshot(checkpointID: 2)], "the only channel left delivered its barrier")
        XCTAssertEqual(aligner.barrier(3, channel: 0), [.snapshot(checkpointID: 3)], "ended channels are not waited for")
        XCTAssertEqual(aligner.barrier(4, channel: 1), [], "an ended channel's barrier is ignored")
    }

    func testNewerBarrierAbandonsTheOlderAlignment() {
        var aligner = BarrierAligner(channelCount: 2, mode: .exactlyOnce)
        XCTAssertEqual(aligner.barrier(5, channel: 0), [.block(channel: 0)])
        XCTAssertEqual(aligner.barrier(6, channel: 1), [.abandon(checkpointID: 5), .block(channel: 1)])
        XCTAssertEqual(aligner.barrier(5, channel: 0), [], "the late barrier of the abandoned checkpoint is ignored")
        XCTAssertEqual(aligner.barrier(6, channel: 0), [.snapshot(checkpointID: 6)])
        XCTAssertEqual(aligner.barrier(4, channel: 0), [], "older than the last handled")
    }
}
