import XCTest
@testable import Weir

final class TwoPhaseCommitStateMachineTests: XCTestCase {
    func testFreshStartBarrierCompleteCommit() {
        var machine = TwoPhaseCommitStateMachine()
        XCTAssertEqual(machine.start(restoredCheckpoint: nil, waiting: [], open: []), [.abortLingering, .begin(1)])
        XCTAssertEqual(machine.barrier(1), [.preCommit(1), .begin(2)])
        XCTAssertEqual(machine.waiting, [1])
        XCTAssertEqual(machine.open, 2)
        XCTAssertEqual(machine.complete(1), [.commit(1)])
        machine.committed(1)
        XCTAssertEqual(machine.waiting, [])
        XCTAssertEqual(machine.complete(1), [], "a repeated notification commits nothing")
    }

    func testAbortedCheckpointKeepsTransactionsForALaterCompletion() {
        var machine = TwoPhaseCommitStateMachine()
        _ = machine.start(restoredCheckpoint: nil, waiting: [], open: [])
        _ = machine.barrier(1)
        XCTAssertEqual(machine.aborted(1), [])
        _ = machine.barrier(2)
        XCTAssertEqual(machine.waiting, [1, 2])
        XCTAssertEqual(machine.complete(2), [.commit(1), .commit(2)], "oldest first, both covered by checkpoint 2")
    }

    func testTwoCompletionsBeforeASlowCommitFinishesCommitEachOnce() {
        var machine = TwoPhaseCommitStateMachine()
        _ = machine.start(restoredCheckpoint: nil, waiting: [], open: [])
        _ = machine.barrier(1)
        XCTAssertEqual(machine.complete(1), [.commit(1)])
        _ = machine.barrier(2)
        XCTAssertEqual(machine.complete(2), [.commit(2)], "1 is still being committed: not again")
        machine.committed(2)
        machine.committed(1)
        XCTAssertEqual(machine.waiting, [])
    }

    func testCompletionOnlyCommitsUpToItsCheckpoint() {
        var machine = TwoPhaseCommitStateMachine()
        _ = machine.start(restoredCheckpoint: nil, waiting: [], open: [])
        _ = machine.barrier(1)
        _ = machine.barrier(2)
        XCTAssertEqual(machine.complete(1), [.commit(1)])
        machine.committed(1)
        XCTAssertEqual(machine.waiting, [2])
    }

    /// The crash came after checkpoint 5 completed but before its notification reached the
    /// sink: only the restore commits transaction 5.
    func testRestoreCommitsWhatTheLostNotificationWouldHaveAndAbortsTheOpenOne() {
        var machine = TwoPhaseCommitStateMachine()
        XCTAssertEqual(machine.start(restoredCheckpoint: 5, waiting: [4, 5], open: [6]),
                       [.recoverAndCommit(4), .recoverAndCommit(5), .recoverAndAbort(6), .abortLingering, .prepareReplay(after: 5), .begin(6)])
        XCTAssertEqual(machine.waiting, [])
        XCTAssertEqual(machine.barrier(6), [.preCommit(6), .begin(7)], "the new transaction takes the aborted one's name")
    }

    func testNewerBarrierIdsAfterSkippedOnes() {
        var machine = TwoPhaseCommitStateMachine()
        _ = machine.start(restoredCheckpoint: 3, waiting: [], open: [])
        XCTAssertEqual(machine.barrier(5), [.preCommit(4), .begin(6)], "opened for 4, pre-committed at barrier 5 (4 never reached this subtask)")
        XCTAssertEqual(machine.complete(5), [.commit(5)], "waiting is keyed by the barrier that pre-committed it")
    }
}
