import XCTest
@testable import Weir

/// The transaction lifecycle of a two-phase-commit sink, through every transition, and through
/// random interleavings of barriers, lost, repeated and reordered completion notifications,
/// failing commits, clock ticks and crashes against a fake external system.
final class TransactionLifecycleTests: XCTestCase {
    typealias Lifecycle = TransactionLifecycle<String>

    func lifecycle(attempts: Int = 3, delay: Int64 = 10, retained: Int = 1) -> Lifecycle {
        Lifecycle(options: .init(commitAttempts: attempts, commitRetryDelayMilliseconds: delay, retainedCheckpoints: retained))
    }

    func testFreshStartBarrierCompletionCommitAndRelease() {
        var machine = lifecycle()
        XCTAssertEqual(machine.start(restored: nil, now: 0), [.abortLingering(known: []), .begin(checkpoint: 1)])
        machine.opened("t1", for: 1, now: 0)
        machine.withOpenTransaction { $0 += "+a" }
        XCTAssertEqual(machine.openTransaction, "t1+a")
        XCTAssertEqual(machine.preCommitted("t1+a!", at: 1), .begin(checkpoint: 2))
        machine.opened("t2", for: 2, now: 0)
        let snapshot = machine.snapshot(1)
        XCTAssertEqual(snapshot.pending.map(\.transaction), ["t1+a!"])
        XCTAssertEqual(snapshot.open?.transaction, "t2")
        guard case .commit(let id, "t1+a!", recovered: false)? = machine.checkpointCompleted(1).first else { return XCTFail("no commit") }
        XCTAssertEqual(machine.checkpointCompleted(1), [], "a repeated notification commits nothing")
        XCTAssertEqual(machine.commitSucceeded(id), [], "checkpoint 1 lists it and may be restored")
        XCTAssertEqual(machine.preCommitted("t2!", at: 2), .begin(checkpoint: 3))
        machine.opened("t3", for: 3, now: 0)
        XCTAssertEqual(machine.snapshot(2).pending.map(\.transaction), ["t2!"], "a committed transaction leaves the snapshots")
        let actions = machine.checkpointCompleted(2)
        XCTAssertEqual(actions.count, 2)
        XCTAssertTrue(actions.contains(.release("t1+a!", endedHere: true)), "checkpoint 2, now the only restorable one, does not name it: \(actions)")
    }

    func testACompletionCommitsEveryPendingTransactionUpToItOldestFirstAndNoneAfterIt() {
        var machine = lifecycle()
        _ = machine.start(restored: nil, now: 0)
        for checkpoint in Int64(1)...3 {
            machine.opened("t\(checkpoint)", for: checkpoint, now: 0)
            _ = machine.preCommitted("t\(checkpoint)", at: checkpoint)
        }
        machine.opened("t4", for: 4, now: 0)
        let commits = machine.checkpointCompleted(2).compactMap { action -> String? in
            if case .commit(_, let transaction, _) = action { return transaction }
            return nil
        }
        XCTAssertEqual(commits, ["t1", "t2"])
        XCTAssertTrue(machine.hasCommitsOutstanding)
    }

    func testAFailedCommitIsRetriedOnTheClockWithBackoffThenFailsTheJob() {
        var machine = lifecycle(attempts: 3, delay: 10)
        _ = machine.start(restored: nil, now: 0)
        machine.opened("t1", for: 1, now: 0)
        _ = machine.preCommitted("t1", at: 1)
        machine.opened("t2", for: 2, now: 0)
        guard case .commit(let id, _, _)? = machine.checkpointCompleted(1).first else { return XCTFail("no commit") }
        XCTAssertEqual(machine.commitFailed(id, retriable: true, error: "down", now: 100),
                       [.retryScheduled(checkpoint: 1, attempt: 1, inMilliseconds: 10, error: "down")])
        XCTAssertEqual(machine.nextRetryDue, 110)
        XCTAssertEqual(machine.tick(now: 109), [], "not due yet")
        XCTAssertEqual(machine.checkpointCompleted(1), [], "a scheduled retry is not started again by a notification")
        XCTAssertEqual(machine.tick(now: 110), [.commit(id, "t1", recovered: false)])
        XCTAssertEqual(machine.commitFailed(id, retriable: true, error: "down", now: 110),
                       [.retryScheduled(checkpoint: 1, attempt: 2, inMilliseconds: 20, error: "down")], "the delay doubles")
        XCTAssertEqual(machine.tick(now: 130), [.commit(id, "t1", recovered: false)])
        guard case .fail(let message)? = machine.commitFailed(id, retriable: true, error: "down", now: 130).first else { return XCTFail("no failure") }
        XCTAssertTrue(message.contains("failed 3 times"), message)
        XCTAssertEqual(machine.tick(now: 10_000), [], "a failed machine does nothing")
    }

    func testALostTransactionFailsAtOnce() {
        var machine = lifecycle(attempts: 5)
        _ = machine.start(restored: nil, now: 0)
        machine.opened("t1", for: 1, now: 0)
        _ = machine.preCommitted("t1", at: 1)
        guard case .commit(let id, _, _)? = machine.checkpointCompleted(1).first else { return XCTFail("no commit") }
        XCTAssertEqual(machine.commitFailed(id, retriable: false, error: "lost", now: 0), [.fail("lost")])
    }

    func testARestoreCommitsThePendingTransactionsAbortsTheOpenOnesAndKeepsTheRestUntilCommitted() {
        var machine = lifecycle(retained: 2)
        let restored = Lifecycle.Restored(checkpointID: 5, pending: [(checkpoint: 5, openedFor: 5, transaction: "a5"), (checkpoint: 4, openedFor: 4, transaction: "a4")],
                                          open: [(openedFor: 6, transaction: "a6")], others: ["b5"])
        let actions = machine.start(restored: restored, now: 0)
        guard actions.count == 6, case .commit(let first, "a4", recovered: true) = actions[0], case .commit(let second, "a5", recovered: true) = actions[1] else {
            return XCTFail("\(actions)")
        }
        XCTAssertEqual(Array(actions[2...]), [.abortRecovered("a6"), .abortLingering(known: ["a5", "a4", "a6", "b5"]), .prepareReplay(after: 5), .begin(checkpoint: 6)])
        machine.opened("n6", for: 6, now: 0)
        XCTAssertEqual(machine.commitSucceeded(first), [])
        _ = machine.commitFailed(second, retriable: true, error: "busy", now: 0)
        XCTAssertEqual(machine.snapshot(6).pending.map(\.transaction), ["a5"], "not yet committed: the next checkpoint lists it")
        XCTAssertEqual(machine.tick(now: 1_000), [.commit(second, "a5", recovered: true)])
        XCTAssertEqual(machine.commitSucceeded(second), [])
        // The aborted open transaction and the other subtask's keep their names until no
        // retained checkpoint (5, then 6 and 7) names them; a5 was listed by checkpoint 6.
        _ = machine.preCommitted("n6", at: 6)
        machine.opened("n7", for: 7, now: 0)
        let atSix = machine.checkpointCompleted(6)
        XCTAssertFalse(atSix.contains { if case .release = $0 { true } else { false } }, "checkpoint 5 is still retained: \(atSix)")
        _ = machine.preCommitted("n7", at: 7)
        machine.opened("n8", for: 8, now: 0)
        _ = machine.snapshot(7)
        let releases = machine.checkpointCompleted(7).filter { if case .release = $0 { true } else { false } }
        XCTAssertEqual(releases, [.release("a6", endedHere: true), .release("b5", endedHere: false), .release("a4", endedHere: true)],
                       "a5 and n6 stay: checkpoint 6, still retained, lists them")
    }

    /// Without checkpoints the end of input is the only commit: it goes through the same
    /// retries, and its failure says that nothing can commit it later.
    func testWithoutCheckpointsTheEndOfInputCommitsWithRetries() {
        var machine = Lifecycle(options: .init(commitAttempts: 2, commitRetryDelayMilliseconds: 10, retainedCheckpoints: 2, checkpointing: false))
        _ = machine.start(restored: nil, now: 0)
        machine.opened("t1", for: 1, now: 0)
        machine.withOpenTransaction { $0 += "+rows" }
        guard case .commit(let id, "t1+rows!", recovered: false)? = machine.commitAtEndOfInput("t1+rows!").first else { return XCTFail("no commit") }
        XCTAssertNil(machine.openTransaction)
        XCTAssertEqual(machine.commitFailed(id, retriable: true, error: "busy", now: 100),
                       [.retryScheduled(checkpoint: 1, attempt: 1, inMilliseconds: 10, error: "busy")])
        XCTAssertTrue(machine.hasCommitsOutstanding)
        XCTAssertEqual(machine.nextRetryDue, 110)
        XCTAssertEqual(machine.tick(now: 110), [.commit(id, "t1+rows!", recovered: false)])
        XCTAssertEqual(machine.commitFailed(id, retriable: true, error: "busy", now: 120),
                       [.fail("committing the last transaction failed 2 times: busy; without checkpoints nothing can commit it later")])
        XCTAssertNil(machine.endOfInput(), "nothing is open any more")
    }

    /// A checkpoint listed the transaction: while it is one of the `retained` newest completed
    /// ones, the transaction is not released.
    func testReleaseWaitsUntilNoRetainedCheckpointNamesTheTransaction() {
        var machine = lifecycle(retained: 2)
        _ = machine.start(restored: nil, now: 0)
        machine.opened("t1", for: 1, now: 0)
        _ = machine.preCommitted("t1", at: 1)
        machine.opened("t2", for: 2, now: 0)
        _ = machine.snapshot(1)
        guard case .commit(let id, _, _)? = machine.checkpointCompleted(1).first else { return XCTFail("no commit") }
        _ = machine.commitSucceeded(id)
        for checkpoint in Int64(2)...3 {
            _ = machine.preCommitted("t\(checkpoint)", at: checkpoint)
            machine.opened("t\(checkpoint + 1)", for: checkpoint + 1, now: 0)
            _ = machine.snapshot(checkpoint)
            let actions = machine.checkpointCompleted(checkpoint)
            for case .commit(let id, _, _) in actions { _ = machine.commitSucceeded(id) }
            if checkpoint == 2 { XCTAssertFalse(actions.contains(.release("t1", endedHere: true)), "checkpoint 1 is still retained") }
            if checkpoint == 3 { XCTAssertTrue(actions.contains(.release("t1", endedHere: true)), "\(actions)") }
        }
    }

    // MARK: - Random interleavings against a fake external system

    /// The external system: what each transaction holds and whether it is visible.
    struct FakeSystem {
        enum Phase: Equatable { case open, preCommitted, committed, aborted }
        var phase: [String: Phase] = [:]
        var records: [String: [Int]] = [:]
        var released: Set<String> = []

        var visible: [Int] { phase.filter { $0.value == .committed }.flatMap { records[$0.key] ?? [] }.sorted() }
    }

    /// A completed checkpoint as the coordinator keeps it.
    struct Checkpoint {
        var id: Int64
        var position: Int
        var pending: [(checkpoint: Int64, openedFor: Int64, transaction: String)]
        var open: (openedFor: Int64, transaction: String)?
        var names: Set<String> { Set(pending.map(\.transaction) + [open?.transaction].compactMap { $0 }) }
    }

    func testRandomInterleavingsCommitEveryRecordExactlyOnceAndReleaseOnlyUnnamedTransactions() throws {
        for seed in UInt64(1)...400 {
            try runRandomJob(seed: seed)
        }
    }

    func runRandomJob(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
        let records = 60
        let retained = Int(random.next() % 3) + 1
        var system = FakeSystem()
        var completed: [Checkpoint] = []  // the coordinator's retained, newest last
        var run = 0
        var clock: Int64 = 0
        var crashes = 0

        // One run: from the latest completed checkpoint (or the start) to the end or a crash.
        runs: while true {
            run += 1
            var machine = Lifecycle(options: .init(commitAttempts: 4, commitRetryDelayMilliseconds: 5, retainedCheckpoints: retained))
            let restoredFrom = completed.last
            var position = restoredFrom?.position ?? 0
            var nextCheckpoint = (restoredFrom?.id ?? 0) + 1
            var notifications: [Int64] = []   // completions not yet delivered
            var taken: [Int64: Checkpoint] = [:]   // snapshots whose checkpoint has not completed
            var failed = false
            var counter = 0

            func perform(_ actions: [Lifecycle.Action]) {
                var queue = actions[...]
                while let action = queue.popFirst() {
                    switch action {
                    case .commit(let id, let transaction, _):
                        XCTAssertNotEqual(system.phase[transaction], .aborted, "seed \(seed): committing an aborted transaction")
                        XCTAssertNotEqual(system.phase[transaction], .open, "seed \(seed): committing a transaction never pre-committed")
                        if chance(25) {
                            queue.append(contentsOf: machine.commitFailed(id, retriable: true, error: "flaky", now: clock))
                        } else {
                            system.phase[transaction] = .committed
                            queue.append(contentsOf: machine.commitSucceeded(id))
                        }
                    case .abortRecovered(let transaction):
                        if system.phase[transaction] != .committed { system.phase[transaction] = .aborted }
                    case .abortLingering(let known):
                        for (name, phase) in system.phase where (phase == .open || phase == .preCommitted) && !known.contains(name) {
                            system.phase[name] = .aborted
                        }
                    case .prepareReplay:
                        break
                    case .begin(let checkpoint):
                        counter += 1
                        let name = "r\(run)-c\(checkpoint)-\(counter)"
                        system.phase[name] = .open
                        machine.opened(name, for: checkpoint, now: clock)
                    case .release(let transaction, let endedHere):
                        XCTAssertTrue(endedHere, "seed \(seed): one subtask, so no other subtask's transaction")
                        XCTAssert([.committed, .aborted].contains(system.phase[transaction]), "seed \(seed): released \(transaction) before it ended")
                        let naming = completed.suffix(retained).filter { $0.names.contains(transaction) }.map(\.id)
                        XCTAssertEqual(naming, [], "seed \(seed): released \(transaction) while retained checkpoints \(naming) name it")
                        XCTAssertFalse(system.released.contains(transaction), "seed \(seed): released twice")
                        system.released.insert(transaction)
                    case .retryScheduled:
                        break
                    case .fail:
                        failed = true
                    }
                }
            }

            if let restoredFrom {
                perform(machine.start(restored: .init(checkpointID: restoredFrom.id, pending: restoredFrom.pending,
                                                      open: [restoredFrom.open].compactMap { $0 }, others: []), now: clock))
            } else {
                perform(machine.start(restored: nil, now: clock))
            }

            var finalCheckpoint: Int64?
            while !failed {
                clock += Int64(random.next() % 4)
                if crashes < 6 && chance(3) { crashes += 1; continue runs }
                switch random.next() % 10 {
                case 0...4 where position < records:
                    position += 1
                    let value = position
                    machine.withOpenTransaction { name in system.records[name, default: []].append(value) }
                case 5:
                    // A barrier: pre-commit, snapshot.
                    let checkpoint = nextCheckpoint
                    nextCheckpoint += 1
                    if let open = machine.openTransaction {
                        system.phase[open] = .preCommitted
                        perform([machine.preCommitted(open, at: checkpoint)])
                    }
                    let snapshot = machine.snapshot(checkpoint)
                    taken[checkpoint] = Checkpoint(id: checkpoint, position: position, pending: snapshot.pending, open: snapshot.open)
                    if position == records { finalCheckpoint = checkpoint }
                case 6:
                    // The coordinator completes a taken checkpoint (not necessarily in order).
                    guard let id = taken.keys.randomElement(using: &random) else { break }
                    completed.append(taken.removeValue(forKey: id)!)
                    completed.sort { $0.id < $1.id }
                    completed = Array(completed.suffix(retained))
                    if !chance(15) { notifications.append(id) }  // lost
                    if chance(15) { notifications.append(id) }   // repeated
                    // Checkpoints older than a completed one are abandoned.
                    for older in taken.keys where older < id { taken[older] = nil }
                case 7:
                    guard !notifications.isEmpty else { break }
                    let index = Int(random.next() % UInt64(notifications.count))  // reordered
                    perform(machine.checkpointCompleted(notifications.remove(at: index)))
                default:
                    perform(machine.tick(now: clock))
                }
                // The job ends once its final checkpoint completed and was heard of, and no
                // commit is outstanding.
                if let finalCheckpoint, completed.contains(where: { $0.id == finalCheckpoint }) {
                    perform(machine.checkpointCompleted(finalCheckpoint))
                    while !failed, machine.hasCommitsOutstanding, let due = machine.nextRetryDue {
                        clock = max(clock, due)
                        perform(machine.tick(now: clock))
                    }
                    if failed { continue runs }
                    if let open = machine.endOfInput() { system.phase[open] = .aborted }
                    break runs
                }
            }
            // A failed commit fails the job: restart from the latest completed checkpoint.
        }
        XCTAssertEqual(system.visible, Array(1...records), "seed \(seed) (retained \(retained), \(crashes) crashes): every record exactly once")
    }
}
