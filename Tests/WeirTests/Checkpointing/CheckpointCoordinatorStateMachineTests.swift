import Foundation
import Synchronization
import XCTest
@testable import Weir

final class CheckpointCoordinatorStateMachineTests: XCTestCase {
    typealias Machine = CheckpointCoordinatorStateMachine<String, Ack>

    /// An acknowledgement whose task paused `value` microseconds.
    struct Ack: CheckpointAcknowledgement, Equatable, ExpressibleByIntegerLiteral {
        var value: Int
        init(integerLiteral value: Int) { self.value = value }
        var timings: CheckpointTaskTimings {
            CheckpointTaskTimings(pauseNanoseconds: UInt64(value) * 1_000, snapshotNanoseconds: UInt64(value) * 500, alignmentNanoseconds: UInt64(value) * 2_000)
        }
    }

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
        XCTAssertEqual(coordinator.metadataWritten(1, stateSize: 4_096, now: 2_600), [.notifyComplete(checkpointID: 1, isFinal: false)])
        XCTAssertEqual(coordinator.lastCompletedID, 1)
        XCTAssertEqual(coordinator.statistics, [CheckpointStatistics(checkpointID: 1, durationMilliseconds: 1_600, stateSize: 4_096, maxTaskPauseMicroseconds: 12,
                                                                     maxSnapshotMicroseconds: 6, maxAlignmentMicroseconds: 24, isFinal: false)],
                       "the figures come from the acknowledgements: the longest of each")
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
        guard case .failJob(let failure) = actions.last else { return XCTFail("expected failJob") }
        XCTAssertEqual(failure, .init(checkpointID: 2, reason: "writing its metadata failed: no space", consecutiveFailures: 2, tolerated: 1))
        XCTAssertTrue(failure.description.contains("2 checkpoints failed in a row"), failure.description)
        XCTAssertEqual(coordinator.tick(now: 100_000), [], "a failed coordinator triggers nothing more")
        XCTAssertNil(coordinator.nextDeadline())
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
        XCTAssertNil(coordinator.nextDeadline())
        XCTAssertEqual(coordinator.statistics.map(\.isFinal), [true])
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

    /// Every event against every state: what a state ignores, it must ignore without changing.
    func testEventsThatDoNotFitTheStateChangeNothing() {
        var coordinator = machine(tolerable: 3)
        XCTAssertEqual(coordinator.acknowledge(1, from: "source", 0), [], "waiting: nothing to acknowledge")
        XCTAssertEqual(coordinator.decline(1, from: "source", reason: "x", now: 0), [])
        XCTAssertEqual(coordinator.metadataWritten(1, now: 0), [])
        XCTAssertEqual(coordinator.metadataWriteFailed(1, reason: "x", now: 0), [])
        XCTAssertEqual(coordinator.consecutiveFailures, 0)
        _ = coordinator.tick(now: 1_000)
        XCTAssertEqual(coordinator.metadataWritten(1, now: 1_000), [], "collecting: the metadata cannot be written yet")
        XCTAssertEqual(coordinator.acknowledge(1, from: "nobody", 0), [], "a task outside the job")
        XCTAssertEqual(coordinator.acknowledge(2, from: "source", 0), [], "another checkpoint")
        for task in ["source", "window", "sink"] { _ = coordinator.acknowledge(1, from: task, 0) }
        XCTAssertEqual(coordinator.decline(1, from: "sink", reason: "late", now: 1_001), [], "writing the metadata: a late decline is ignored")
        XCTAssertEqual(coordinator.tick(now: 60_000), [], "and the timeout does not apply")
        XCTAssertEqual(coordinator.metadataWriteFailed(1, reason: "disk", now: 60_000), [.notifyAborted(checkpointID: 1, reason: "writing its metadata failed: disk")])
        XCTAssertEqual(coordinator.pendingCheckpointID, nil)
        XCTAssertEqual(coordinator.nextDeadline(), 60_000, "the interval (from the trigger at 1,000) has passed; the pause (0) counts from the abort")
        XCTAssertEqual(coordinator.tick(now: 60_000), [.trigger(checkpointID: 2)])
    }
}

/// ``CheckpointCoordinator`` on a clock the test moves: the interval and the timeout are its.
final class CheckpointCoordinatorClockTests: XCTestCase {
    func testIntervalAndTimeoutFollowTheInjectedClockNotTheWallClock() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-coordinator-clock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CheckpointStore(FileCheckpointStorage(directory: directory))
        let time = Mutex<Int64>(0)
        let failures = Mutex<[String]>([])
        let warnings = Mutex<[String]>([])
        let source = TaskID(head: 0, subtask: 0, name: "source")
        let sink = TaskID(head: 1, subtask: 0, name: "sink")
        let mailboxes = [source: TaskMailbox(), sink: TaskMailbox()]
        var configuration = CheckpointConfiguration(directory: directory, interval: .seconds(60))
        configuration.timeout = .seconds(600)
        configuration.tolerableConsecutiveFailures = 0
        let coordinator = CheckpointCoordinator(configuration: configuration, store: store, jobName: "clock", maxParallelism: 128, operators: [],
                                                mailboxes: mailboxes, sources: [source], firstCheckpointID: 1,
                                                failJob: { error in failures.withLock { $0.append("\(error)") } },
                                                warn: { message in warnings.withLock { $0.append(message) } },
                                                clock: { time.withLock { $0 } })
        coordinator.start()
        defer { coordinator.stop() }
        // The wall clock moves on; the coordinator's clock does not: no trigger.
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertTrue(mailboxes[source]!.drain().isEmpty, "60 s have not passed on the injected clock")
        time.withLock { $0 = 60_000 }
        let trigger = try XCTUnwrap(waitForMessage(in: mailboxes[source]!))
        guard case .trigger(let barrier) = trigger else { return XCTFail("expected a trigger, got \(trigger); warnings: \(warnings.withLock { $0 })") }
        XCTAssertEqual(barrier.checkpointID, 1)
        // Acknowledged by one of two tasks; then the injected clock passes the timeout.
        coordinator.acknowledge(1, from: source, .init(files: [], timings: .init(pauseNanoseconds: 0, snapshotNanoseconds: 0, alignmentNanoseconds: 0)))
        time.withLock { $0 = 660_000 }
        let aborted = try XCTUnwrap(waitForMessage(in: mailboxes[sink]!))
        guard case .aborted(let id) = aborted else { return XCTFail("expected an abort, got \(aborted)") }
        XCTAssertEqual(id, 1)
        XCTAssertEqual(warnings.withLock { $0 }.first?.contains("timed out after 600000 ms waiting for 1 of 2 tasks"), true, "\(warnings.withLock { $0 })")
        let deadline = Date().addingTimeInterval(5)
        while failures.withLock({ $0.isEmpty }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(failures.withLock { $0 }.count, 1)
        XCTAssertTrue(failures.withLock { $0 }.first?.hasPrefix("too many checkpoints failed: checkpoint 1 timed out") == true, "\(failures.withLock { $0 })")
        XCTAssertTrue(failures.withLock { $0 }.first?.contains("raise it, or keep large keyed state in RocksDB") == true, "a timeout says what to do: \(failures.withLock { $0 })")
    }

    private func waitForMessage(in mailbox: TaskMailbox) -> TaskMailbox.Mail? {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let message = mailbox.drain().first { return message }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }
}
