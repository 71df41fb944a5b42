import XCTest
@testable import Weir

final class RestartTrackerTests: XCTestCase {
    struct Flaky: Error {}
    struct Broken: PermanentFailure {}
    let second: UInt64 = 1_000_000_000

    func testFixedDelayRestartsUpToItsAttemptsThenGivesUp() {
        var tracker = RestartTracker(strategy: .fixedDelay(attempts: 2, delay: .milliseconds(50)), now: 0)
        XCTAssertEqual(tracker.failed(Flaky(), now: 1 * second), .restart(after: .milliseconds(50)))
        XCTAssertEqual(tracker.failed(Flaky(), now: 2 * second), .restart(after: .milliseconds(50)))
        XCTAssertEqual(tracker.failed(Flaky(), now: 3 * second), .giveUp(afterRestarts: 2))
        XCTAssertEqual(tracker.total, 2)
    }

    func testExponentialDelayGrowsAndResetsAfterAQuietPeriod() {
        var policy = ExponentialDelayRestart()
        policy.initial = .seconds(1)
        policy.multiplier = 2
        policy.jitter = 0
        policy.resetAfter = .seconds(60)
        policy.attempts = 3
        var tracker = RestartTracker(strategy: .exponentialDelay(policy), now: 0)
        XCTAssertEqual(tracker.failed(Flaky(), now: 1 * second, random: 0.5), .restart(after: .seconds(1)))
        XCTAssertEqual(tracker.failed(Flaky(), now: 5 * second, random: 0.5), .restart(after: .seconds(2)))
        XCTAssertEqual(tracker.failed(Flaky(), now: 10 * second, random: 0.5), .restart(after: .seconds(4)))
        XCTAssertEqual(tracker.inARow, 3)
        // 60 s without a failure: the count starts again.
        XCTAssertEqual(tracker.failed(Flaky(), now: 70 * second, random: 0.5), .restart(after: .seconds(1)))
        XCTAssertEqual(tracker.inARow, 1)
        XCTAssertEqual(tracker.total, 4)
        XCTAssertEqual(tracker.failed(Flaky(), now: 71 * second, random: 0.5), .restart(after: .seconds(2)))
        XCTAssertEqual(tracker.failed(Flaky(), now: 72 * second, random: 0.5), .restart(after: .seconds(4)))
        XCTAssertEqual(tracker.failed(Flaky(), now: 73 * second, random: 0.5), .giveUp(afterRestarts: 3))
    }

    func testFailuresARestartCannotMendAreNotRestarted() {
        let strategy = RestartStrategy.fixedDelay(attempts: 10, delay: .zero)
        let location = OperatorLocation(operatorName: "sink", subtask: 0, parallelism: 1)
        let unmendable: [any Error] = [
            JobError.invalidJob("no sink"),
            CheckpointError.corruptFile(path: "/x", reason: "crc"),
            OperatorFailure(location: location, underlying: TwoPhaseCommitError.lostTransaction("gone")),
            OperatorFailure(location: location, underlying: Broken()),
        ]
        for error in unmendable {
            var tracker = RestartTracker(strategy: strategy, now: 0)
            XCTAssertEqual(tracker.failed(error, now: second), .giveUp(afterRestarts: 0), "\(error)")
        }
        var tracker = RestartTracker(strategy: strategy, now: 0)
        XCTAssertEqual(tracker.failed(CheckpointError.tooManyFailedCheckpoints("disk full"), now: second), .restart(after: .zero), "a store that comes back mends it")
        XCTAssertEqual(tracker.failed(OperatorFailure(location: location, underlying: Flaky()), now: 2 * second), .restart(after: .zero))
        var none = RestartTracker(strategy: .none, now: 0)
        XCTAssertEqual(none.failed(Flaky(), now: second), .giveUp(afterRestarts: 0))
    }
}
