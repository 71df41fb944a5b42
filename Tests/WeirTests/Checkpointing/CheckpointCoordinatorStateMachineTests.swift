import XCTest
@testable import Weir

final class CheckpointCoordinatorStateMachineTests: XCTestCase {
    typealias Machine = CheckpointCoordinatorStateMachine<String, Int>

    private func machine(interval: Int64 = 1_000, minPause: Int64 = 0, timeout: Int64 = 5_000, tolerable: Int = 0) -> Machine {
        Machine(timing: .init(intervalMilliseconds: interval, minPauseMilliseconds: minPause, timeoutMilliseconds: timeout, tolerableConsecutiveFailures: tolerable),
                tasks: ["source", "window", "sink"], sources: ["source"], firstCheckpointID: 1, now: 0)
    }

    func testTriggerAcknowledgeWriteMetadataNotify() {
        var coordinator = machine()
        XCTAssertEqual(coordinator.tick(now: 999), [])
        XCTAssertEqual(coordinator.nextDeadline(), 1_000)
        XCTAssertEqual(coordinator.tick(now: 1_000), [.trigger(checkpointID: 1)])
        XCTAssertEqual(coordinator.tick(now: 2_500), [], "one checkpoint in flight at a time")
        XCTAssertEqual(coordinator.acknowledge(1, from: "window", 10), [])
        XCTAssertEqual(coordinator.acknowledge(1, from: "window", 10), [], "a duplicate acknowledgement changes nothing")
        XCTAssertEqual(coordinator.acknowledge(1, from: "source", 11), [])
        XCTAssertEqual(coordinator.acknowledge(1, from: "sink", 12),
                       [.writeMetadata(checkpointID: 1, acknowledgements: ["window": 10, "source": 11, "sink": 12], isFinal: false)])
        XCTAssertEqual(coordinator.tick(now: 9_000), [], "no timeout while the metadata is being written")
        XCTAssertEqual(coordinator.metadataWritten(1, now: 2_600), [.notifyComplete(checkpointID: 1, isFinal: false)])
        XCTAssertEqual(coordinator.lastCompletedID, 1)
        XCTAssertEqual(coordinator.tick(now: 2_600), [.trigger(checkpointID: 2)], "the interval counts from the last trigger")
    }

    func testMinimumPauseDelaysTheNextTrigger() {
        var coordinator = machine(interval: 1_000, minPause: 800)
        _ = coordinator.tick(now: 1_000)
        for task in ["source", "window", "sink"] { _ = coordinator.acknowledge(1, from: task, 0) }
        _ = coordinator.metadataWritten(1, now: 1_900)
        XCTAssertEqual(coordinator.tick(now: 2_000), [], "interval passed, pause not")
        XCTAssertEqual(coordinator.nextDeadline(), 2_700)
        XCTAssertEqual(coordinator.tick(now: 2_700), [.trigger(checkpointID: 2)])
    }

    func testTimeoutAbortsAndLateAcknowledgementsAreIgnored() {
        var coordinator = machine(tolerable: 1)
        _ = coordinator.tick(now: 1_000)
        _ = coordinator.acknowledge(1, from: "source", 0)
        XCTAssertEqual(coordinator.tick(now: 5_999), [])
        XCTAssertEqual(coordinator.tick(now: 6_000), [.notifyAborted(checkpointID: 1, reason: "timed out after 5000 ms waiting for 2 of 3 tasks")])
        XCTAssertEqual(coordinator.acknowledge(1, from: "window", 0), [], "acknowledgement after the timeout")
        XCTAssertEqual(coordinator.acknowledge(1, from: "sink", 0), [])
        XCTAssertNil(coordinator.lastCompletedID)
        XCTAssertEqual(coordinator.tick(now: 6_000), [.trigger(checkpointID: 2)], "the next checkpoint gets a new id")
    }

    func testDeclineAbortsAndTooManyFailuresFailTheJob() {
        var coordinator = machine(tolerable: 1)
        _ = coordinator.tick(now: 1_000)
        XCTAssertEqual(coordinator.decline(1, from: "sink", reason: "disk full", now: 1_100), [.notifyAborted(checkpointID: 1, reason: "declined by sink: disk full")])
        XCTAssertEqual(coordinator.decline(1, from: "window", reason: "again", now: 1_100), [], "already aborted")
        _ = coordinator.tick(now: 2_000)
        let actions = coordinator.metadataWriteFailed(2, reason: "no space", now: 2_100)
        XCTAssertEqual(actions.count, 2)
        XCTAssertEqual(actions.first, .notifyAborted(checkpointID: 2, reason: "writing its metadata failed: no space"))
        guard case .failJob(let reason) = actions.last else { return XCTFail("expected failJob") }
        XCTAssertTrue(reason.contains("2 checkpoints failed in a row"), reason)
    }

    func testSuccessResetsTheFailureCount() {
        var coordinator = machine(tolerable: 1)
        _ = coordinator.tick(now: 1_000)
        _ = coordinator.decline(1, from: "sink", reason: "x", now: 1_000)
        _ = coordinator.tick(now: 2_000)
        for task in ["source", "window", "sink"] { _ = coordinator.acknowledge(2, from: task, 0) }
        _ = coordinator.metadataWritten(2, now: 2_000)
        _ = coordinator.tick(now: 3_000)
        XCTAssertEqual(coordinator.decline(3, from: "sink", reason: "y", now: 3_000).count, 1, "one failure after a success is tolerated again")
    }

    func testFinalCheckpointIsTriggeredAtOnceWhenSourcesFinish() {
        var coordinator = machine(interval: 60_000)
        coordinator.sourceFinished("window")
        XCTAssertEqual(coordinator.tick(now: 10), [], "a task that is not a source does not end the input")
        coordinator.sourceFinished("source")
        XCTAssertEqual(coordinator.tick(now: 10), [.trigger(checkpointID: 1)])
        for task in ["source", "window"] { _ = coordinator.acknowledge(1, from: task, 0) }
        XCTAssertEqual(coordinator.acknowledge(1, from: "sink", 0), [.writeMetadata(checkpointID: 1, acknowledgements: ["source": 0, "window": 0, "sink": 0], isFinal: true)])
        XCTAssertEqual(coordinator.metadataWritten(1, now: 20), [.notifyComplete(checkpointID: 1, isFinal: true)])
        XCTAssertTrue(coordinator.finalCheckpointCompleted)
        XCTAssertEqual(coordinator.tick(now: 100_000), [], "nothing after the final checkpoint")
    }

    func testTheFinalCheckpointWaitsForEverySource() {
        var coordinator = Machine(timing: .init(intervalMilliseconds: 60_000, minPauseMilliseconds: 0, timeoutMilliseconds: 5_000, tolerableConsecutiveFailures: 0),
                                  tasks: ["files", "kafka", "sink"], sources: ["files", "kafka"], firstCheckpointID: 1, now: 0)
        coordinator.sourceFinished("files")
        coordinator.sourceFinished("files")
        XCTAssertEqual(coordinator.tick(now: 10), [], "one source still reads")
        coordinator.sourceFinished("kafka")
        XCTAssertEqual(coordinator.tick(now: 11), [.trigger(checkpointID: 1)])
    }

    func testFinalCheckpointRetriesAfterAnAbort() {
        var coordinator = machine(interval: 60_000, tolerable: 5)
        coordinator.sourceFinished("source")
        _ = coordinator.tick(now: 10)
        _ = coordinator.tick(now: 5_010)
        XCTAssertEqual(coordinator.tick(now: 5_010), [.trigger(checkpointID: 2)])
    }
}
