/// The bookkeeping of a two-phase-commit sink subtask, as a pure state machine: events in,
/// actions out, no I/O. Transactions are named by the checkpoint they were opened for.
///
/// - The open transaction is pre-committed at barrier *n* and waits, keyed by *n*, for
///   checkpoint *n* (or a later one) to complete; a new transaction opens for *n + 1*.
/// - `complete(n)` commits every waiting transaction with key ≤ *n*, oldest first; one already
///   being committed is not committed twice (two completions before a slow commit).
/// - `aborted(n)` changes nothing: a later completion covers the waiting transactions.
/// - After a restore from checkpoint *n*: every waiting transaction of the checkpoint is
///   recovered and committed (its checkpoint completed, its notification may never have
///   arrived), the transaction open at the snapshot is recovered and aborted, lingering ones
///   are aborted, what the sink committed for checkpoints after *n* is undone if it can
///   (``SinkReplay/replaces``; *n* may be older than the latest completed checkpoint), and a
///   new transaction opens for *n + 1*.
@usableFromInline struct TwoPhaseCommitStateMachine: Sendable, Equatable {
    @usableFromInline enum Action: Equatable {
        case recoverAndCommit(Int64)
        case recoverAndAbort(Int64)
        case abortLingering
        /// Undo what was committed for checkpoints after the restored one (their input is replayed).
        case prepareReplay(after: Int64)
        case begin(Int64)
        case preCommit(Int64)
        case commit(Int64)
    }

    /// Pre-committed transactions by the checkpoint whose barrier pre-committed them.
    @usableFromInline var waiting: [Int64] = []
    /// The checkpoint the open transaction belongs to.
    @usableFromInline var open: Int64?
    @usableFromInline var committing: Set<Int64> = []

    /// Starts fresh (`restoredCheckpoint == nil`) or from a restored checkpoint's state.
    /// After a restore with another parallelism a subtask may get several subtasks' transactions.
    @usableFromInline mutating func start(restoredCheckpoint: Int64?, waiting restoredWaiting: [Int64], open restoredOpen: [Int64]) -> [Action] {
        var actions: [Action] = []
        if let checkpoint = restoredCheckpoint {
            for id in Set(restoredWaiting).sorted() where id <= checkpoint { actions.append(.recoverAndCommit(id)) }
            for id in Set(restoredOpen).sorted() { actions.append(.recoverAndAbort(id)) }
        }
        actions.append(.abortLingering)
        if let checkpoint = restoredCheckpoint { actions.append(.prepareReplay(after: checkpoint)) }
        let next = (restoredCheckpoint ?? 0) + 1
        open = next
        actions.append(.begin(next))
        return actions
    }

    /// Barrier `checkpointID`: pre-commit the open transaction, open the next.
    @usableFromInline mutating func barrier(_ checkpointID: Int64) -> [Action] {
        guard let current = open else { return [] }
        waiting.append(checkpointID)
        open = checkpointID + 1
        return [.preCommit(current), .begin(checkpointID + 1)]
    }

    @usableFromInline mutating func complete(_ checkpointID: Int64) -> [Action] {
        let due = waiting.filter { $0 <= checkpointID && !committing.contains($0) }
        committing.formUnion(due)
        return due.map { .commit($0) }
    }

    /// The transaction of `checkpointID` is committed.
    @usableFromInline mutating func committed(_ checkpointID: Int64) {
        committing.remove(checkpointID)
        waiting.removeAll { $0 == checkpointID }
    }

    @usableFromInline mutating func aborted(_ checkpointID: Int64) -> [Action] { [] }
}
