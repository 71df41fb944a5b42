/// The transactions of one two-phase-commit sink subtask, from their opening to their release,
/// as a pure state machine: the sink operator reports events (a barrier, a completed
/// checkpoint, a commit's outcome, a tick of the clock) and performs the actions it returns
/// with the writer; nothing here does I/O, reads a clock or sleeps.
///
/// A transaction is
/// - **open** — records go into it — from its `begin` until the barrier of the checkpoint it
///   was opened for;
/// - **pending** once that barrier pre-committed it, until a checkpoint at least as new as
///   that one completes; then **committing** (a commit in flight, or a retry scheduled with
///   backoff) until the writer reports it committed;
/// - **retained** once committed, while a checkpoint that a restore could still pick names it
///   (its snapshot listed it): a restore of that checkpoint commits it again, so the external
///   system must still know it. A restored checkpoint's aborted open transactions and the
///   other subtasks' transactions it lists are retained the same way: their names must not be
///   reused while a restore could end them again;
/// - **released** — the machine forgets it and tells the writer, which may reuse its name
///   (Kafka's transactional id pool) or drop its commit record (PostgreSQL's commits table).
///
/// Completion notifications may be lost, duplicated or arrive out of order: a later
/// completion covers every pending transaction at or below it, and a commit already in
/// flight is not started twice. After a restore, the restored checkpoint's pending
/// transactions are committed again (idempotently), its open ones aborted.
@usableFromInline struct TransactionLifecycle<Transaction: Sendable>: Sendable {
    /// A transaction's identity within the machine (several may share a checkpoint after a
    /// restore at a lower parallelism).
    @usableFromInline struct ID: Hashable, Sendable, Comparable {
        @usableFromInline let value: Int
        @usableFromInline init(_ value: Int) { self.value = value }
        @usableFromInline static func < (lhs: ID, rhs: ID) -> Bool { lhs.value < rhs.value }
    }

    /// One transaction the machine holds.
    @usableFromInline struct Handle: Sendable {
        @usableFromInline var id: ID
        @usableFromInline var transaction: Transaction
        /// The checkpoint whose barrier ends it (its `begin` named it).
        @usableFromInline var openedFor: Int64
        /// When it was opened, in milliseconds (for the age check).
        @usableFromInline var openedAt: Int64
        /// Whether it came from a restored checkpoint (the writer's `recover…` steps apply).
        @usableFromInline var recovered: Bool
        /// The newest checkpoint whose snapshot lists it.
        @usableFromInline var lastListedIn: Int64?
        /// Whether this subtask commits or aborts it: `false` for another subtask's share of a
        /// restored checkpoint, held only so that its name is not reused too early.
        @usableFromInline var endedHere: Bool = true
    }

    /// Where a pre-committed transaction's commit stands.
    @usableFromInline enum Commit: Sendable, Equatable {
        /// Its checkpoint has not completed (as far as the machine heard).
        case awaitingCheckpoint
        /// A commit was handed to the writer; its outcome is not reported yet.
        case inFlight(attempt: Int)
        /// The last attempt failed; the next is due at `dueAt` (milliseconds).
        case retryScheduled(attempt: Int, dueAt: Int64)
    }

    @usableFromInline struct Pending: Sendable {
        @usableFromInline var handle: Handle
        /// The checkpoint whose barrier pre-committed it: its completion (or a later one's) commits it.
        @usableFromInline var checkpoint: Int64
        @usableFromInline var commit: Commit
    }

    /// What the machine holds while the sink runs.
    @usableFromInline struct Running: Sendable {
        /// `nil` between a barrier's pre-commit and the next `begin`'s report, and after the end of input.
        @usableFromInline var open: Handle?
        /// Pre-committed transactions, oldest checkpoint first.
        @usableFromInline var pending: [Pending] = []
        /// Committed transactions that a restorable checkpoint still names.
        @usableFromInline var retained: [Handle] = []
        /// The newest completed checkpoints heard of (at most `retainedCheckpoints`), newest last.
        @usableFromInline var completed: [Int64] = []
        @usableFromInline var nextID = 0
    }

    @usableFromInline enum State: Sendable {
        /// Before ``start(restored:now:)``.
        case idle
        case running(Running)
        /// Never seen between events: held while `Running` is changed in place, so that its
        /// arrays are not copied (the enum would otherwise keep a second reference).
        case modifying
        /// A commit failed for good or a transaction was lost: the job fails; a restart recovers.
        case failed
    }

    /// What a restored checkpoint holds for this subtask.
    @usableFromInline struct Restored: Sendable {
        @usableFromInline init(checkpointID: Int64, pending: [(checkpoint: Int64, openedFor: Int64, transaction: Transaction)],
                               open: [(openedFor: Int64, transaction: Transaction)], others: [Transaction]) {
            self.checkpointID = checkpointID; self.pending = pending; self.open = open; self.others = others
        }
        @usableFromInline var checkpointID: Int64
        /// Pre-committed transactions of this subtask's share, by the checkpoint they wait for.
        @usableFromInline var pending: [(checkpoint: Int64, openedFor: Int64, transaction: Transaction)]
        /// Transactions open when the checkpoint was taken.
        @usableFromInline var open: [(openedFor: Int64, transaction: Transaction)]
        /// The other subtasks' transactions in the checkpoint (theirs to end).
        @usableFromInline var others: [Transaction]
        /// Every transaction of every subtask in the checkpoint (none of them is lingering).
        @usableFromInline var all: [Transaction] { pending.map(\.transaction) + open.map(\.transaction) + others }
    }

    /// What the operator does with the writer.
    @usableFromInline enum Action: Sendable {
        /// Commit the transaction (`recoverAndCommit` if `recovered`); report the outcome.
        case commit(ID, Transaction, recovered: Bool)
        /// Abort a restored transaction that was open at the snapshot (`recoverAndAbort`).
        case abortRecovered(Transaction)
        /// Abort what earlier runs left behind that none of `known` is.
        case abortLingering(known: [Transaction])
        /// Undo what was committed for checkpoints after `checkpoint` (their input is replayed).
        case prepareReplay(after: Int64)
        /// Open a transaction for `checkpoint`; report it with ``opened(_:for:now:)``.
        case begin(checkpoint: Int64)
        /// No restorable checkpoint names the transaction any more; `endedHere` is `false` for
        /// another subtask's transaction (its name is free, its records are not this one's).
        case release(Transaction, endedHere: Bool)
        /// A commit failed and is tried again in `inMilliseconds` (warn: the job goes on).
        case retryScheduled(checkpoint: Int64, attempt: Int, inMilliseconds: Int64, error: String)
        /// Fail the job with this message (the restart recovers from the checkpoint).
        case fail(String)
    }

    /// The machine's settings.
    @usableFromInline struct Options: Sendable {
        @usableFromInline init(commitAttempts: Int, commitRetryDelayMilliseconds: Int64, retainedCheckpoints: Int, checkpointing: Bool = true) {
            self.commitAttempts = max(1, commitAttempts); self.commitRetryDelayMilliseconds = max(0, commitRetryDelayMilliseconds)
            self.retainedCheckpoints = max(1, retainedCheckpoints); self.checkpointing = checkpointing
        }
        @usableFromInline var commitAttempts: Int
        @usableFromInline var commitRetryDelayMilliseconds: Int64
        /// How many completed checkpoints the job keeps (a restore may pick any of them).
        @usableFromInline var retainedCheckpoints: Int
        /// Whether the job takes checkpoints (without, the only commit is at the end of input,
        /// and no restart can commit a transaction whose commit failed).
        @usableFromInline var checkpointing: Bool
    }

    @usableFromInline let options: Options
    @usableFromInline var state: State = .idle

    @usableFromInline init(options: Options) { self.options = options }

    /// Runs `body` on the running state in place; `nil` if the machine is not running.
    @inlinable mutating func withRunning<Result>(_ body: (inout Running) throws -> Result) rethrows -> Result? {
        guard case .running(var running) = state else { return nil }
        state = .modifying
        defer { state = .running(running) }
        return try body(&running)
    }
}

extension TransactionLifecycle.Action: Equatable where Transaction: Equatable {}
extension TransactionLifecycle.Handle: Equatable where Transaction: Equatable {}

// MARK: - Events

extension TransactionLifecycle {
    /// The sink opens: fresh (`restored == nil`) or from a restored checkpoint.
    @usableFromInline mutating func start(restored: Restored?, now: Int64) -> [Action] {
        guard case .idle = state else { preconditionFailure("the transaction lifecycle started twice") }
        var running = Running()
        var actions: [Action] = []
        if let restored {
            // The restored checkpoint completed; a newer one may have too (the restore of an
            // older one after a damaged latest) — what it committed is the sink's to undo.
            running.completed = [restored.checkpointID]
            // (A snapshot lists only transactions pre-committed at or before its own barrier.)
            for entry in restored.pending.sorted(by: { $0.checkpoint < $1.checkpoint }) {
                let handle = Handle(id: running.makeID(), transaction: entry.transaction, openedFor: entry.openedFor, openedAt: now,
                                    recovered: true, lastListedIn: restored.checkpointID)
                running.pending.append(Pending(handle: handle, checkpoint: min(entry.checkpoint, restored.checkpointID), commit: .inFlight(attempt: 1)))
                actions.append(.commit(handle.id, handle.transaction, recovered: true))
            }
            // Aborted now, and another subtask's: retained like committed ones, so that their
            // names stay taken while a restore of this checkpoint could end them again.
            for entry in restored.open.sorted(by: { $0.openedFor < $1.openedFor }) {
                actions.append(.abortRecovered(entry.transaction))
                running.retained.append(Handle(id: running.makeID(), transaction: entry.transaction, openedFor: entry.openedFor, openedAt: now,
                                               recovered: true, lastListedIn: restored.checkpointID))
            }
            for transaction in restored.others {
                running.retained.append(Handle(id: running.makeID(), transaction: transaction, openedFor: restored.checkpointID, openedAt: now,
                                               recovered: true, lastListedIn: restored.checkpointID, endedHere: false))
            }
            actions.append(.abortLingering(known: restored.all))
            actions.append(.prepareReplay(after: restored.checkpointID))
            actions.append(.begin(checkpoint: restored.checkpointID + 1))
        } else {
            actions.append(.abortLingering(known: []))
            actions.append(.begin(checkpoint: 1))
        }
        state = .running(running)
        return actions
    }

    /// The transaction that a `begin` action asked for.
    @usableFromInline mutating func opened(_ transaction: Transaction, for checkpoint: Int64, now: Int64) {
        withRunning { running in
            precondition(running.open == nil, "a transaction opened while another is open")
            running.open = Handle(id: running.makeID(), transaction: transaction, openedFor: checkpoint, openedAt: now, recovered: false, lastListedIn: nil)
        }
    }

    /// Records go into the open transaction (the writer changes it in place).
    @inlinable mutating func withOpenTransaction<Result>(_ body: (inout Transaction) throws -> Result) rethrows -> Result {
        let result = try withRunning { running -> Result in
            guard running.open != nil else { preconditionFailure("a record came with no transaction open") }
            return try body(&running.open!.transaction)
        }
        guard let result else { preconditionFailure("a record came before the sink started") }
        return result
    }

    /// The open transaction, to pre-commit at the barrier of `checkpoint`; `nil` if none is open.
    @usableFromInline var openTransaction: Transaction? {
        guard case .running(let running) = state else { return nil }
        return running.open?.transaction
    }

    /// Barrier `checkpoint` pre-committed the open transaction (`transaction` is what the writer
    /// made of it): it waits for the checkpoint, and the next one opens for `checkpoint + 1`.
    @usableFromInline mutating func preCommitted(_ transaction: Transaction, at checkpoint: Int64) -> Action {
        withRunning { running in
            guard var open = running.open else { preconditionFailure("pre-committed without an open transaction") }
            open.transaction = transaction
            running.pending.append(Pending(handle: open, checkpoint: checkpoint, commit: .awaitingCheckpoint))
            running.open = nil
        }
        return .begin(checkpoint: checkpoint + 1)
    }

    /// What the snapshot of `checkpoint` lists: every transaction not yet committed, and the
    /// open one. Marks them as named by that checkpoint.
    @usableFromInline mutating func snapshot(_ checkpoint: Int64) -> (pending: [(checkpoint: Int64, openedFor: Int64, transaction: Transaction)], open: (openedFor: Int64, transaction: Transaction)?) {
        withRunning { running in
            for index in running.pending.indices { running.pending[index].handle.lastListedIn = checkpoint }
            running.open?.lastListedIn = checkpoint
            return (running.pending.map { ($0.checkpoint, $0.handle.openedFor, $0.handle.transaction) },
                    running.open.map { ($0.openedFor, $0.transaction) })
        } ?? ([], nil)
    }

    /// Checkpoint `checkpoint` completed (a notification; maybe late, repeated or out of order).
    @usableFromInline mutating func checkpointCompleted(_ checkpoint: Int64) -> [Action] {
        let retained = options.retainedCheckpoints
        return withRunning { running in
            if !running.completed.contains(checkpoint) {
                running.completed.append(checkpoint)
                running.completed.sort()
                if running.completed.count > retained { running.completed.removeFirst(running.completed.count - retained) }
            }
            var actions: [Action] = []
            for index in running.pending.indices where running.pending[index].checkpoint <= checkpoint && running.pending[index].commit == .awaitingCheckpoint {
                running.pending[index].commit = .inFlight(attempt: 1)
                let handle = running.pending[index].handle
                actions.append(.commit(handle.id, handle.transaction, recovered: handle.recovered))
            }
            actions += running.releaseUnnamed(retainedCheckpoints: retained)
            return actions
        } ?? []
    }

    /// The writer committed transaction `id`.
    @usableFromInline mutating func commitSucceeded(_ id: ID) -> [Action] {
        let retained = options.retainedCheckpoints
        return withRunning { running in
            guard let index = running.pending.firstIndex(where: { $0.handle.id == id }) else { return [] }
            let done = running.pending.remove(at: index)
            running.retained.append(done.handle)
            return running.releaseUnnamed(retainedCheckpoints: retained)
        } ?? []
    }

    /// The writer's commit of `id` failed; `retriable: false` (the transaction is lost) fails the job at once.
    @usableFromInline mutating func commitFailed(_ id: ID, retriable: Bool, error: String, now: Int64) -> [Action] {
        guard case .running(var running) = state, let index = running.pending.firstIndex(where: { $0.handle.id == id }),
              case .inFlight(let attempt) = running.pending[index].commit else { return [] }
        let checkpoint = running.pending[index].checkpoint
        guard retriable, attempt < options.commitAttempts else {
            state = .failed
            guard retriable else { return [.fail(error)] }
            return [.fail(options.checkpointing
                ? "committing the transaction of checkpoint \(checkpoint) failed \(attempt) times: \(error); the job fails so that a restart commits it from the checkpoint"
                : "committing the last transaction failed \(attempt) times: \(error); without checkpoints nothing can commit it later")]
        }
        let delay = options.commitRetryDelayMilliseconds << min(attempt - 1, 20)
        state = .modifying
        running.pending[index].commit = .retryScheduled(attempt: attempt + 1, dueAt: now + delay)
        state = .running(running)
        return [.retryScheduled(checkpoint: checkpoint, attempt: attempt, inMilliseconds: delay, error: error)]
    }

    /// The clock reached `now`: retries that are due.
    @usableFromInline mutating func tick(now: Int64) -> [Action] {
        withRunning { running in
            var actions: [Action] = []
            for index in running.pending.indices {
                guard case .retryScheduled(let attempt, let dueAt) = running.pending[index].commit, dueAt <= now else { continue }
                running.pending[index].commit = .inFlight(attempt: attempt)
                let handle = running.pending[index].handle
                actions.append(.commit(handle.id, handle.transaction, recovered: handle.recovered))
            }
            return actions
        } ?? []
    }

    /// The earliest time a scheduled retry is due, if any (the end of the job waits for it).
    @usableFromInline var nextRetryDue: Int64? {
        guard case .running(let running) = state else { return nil }
        return running.pending.compactMap { entry -> Int64? in
            if case .retryScheduled(_, let dueAt) = entry.commit { return dueAt }
            return nil
        }.min()
    }

    /// Whether a completed checkpoint's transaction still waits for its commit (in flight or
    /// scheduled): the sink may not end before it is committed.
    @usableFromInline var hasCommitsOutstanding: Bool {
        guard case .running(let running) = state else { return false }
        return running.pending.contains { $0.commit != .awaitingCheckpoint }
    }

    /// End of input in a job without checkpoints, which has no commit phase: the open
    /// transaction (`transaction`, as the writer pre-committed it) is committed now, with the
    /// same retries as any commit (the caller drains them, as at every end of input).
    @usableFromInline mutating func commitAtEndOfInput(_ transaction: Transaction) -> [Action] {
        withRunning { running -> [Action] in
            guard var open = running.open else { return [] }
            open.transaction = transaction
            running.open = nil
            running.pending.append(Pending(handle: open, checkpoint: open.openedFor, commit: .inFlight(attempt: 1)))
            return [.commit(open.id, open.transaction, recovered: false)]
        } ?? []
    }

    /// End of input with checkpoints: the open transaction, which the caller aborts (opened
    /// after the final checkpoint's barrier, it holds nothing).
    @usableFromInline mutating func endOfInput() -> Transaction? {
        withRunning { running in
            defer { running.open = nil }
            return running.open?.transaction
        } ?? nil
    }

    /// When the oldest transaction still held (open or pending) was opened, for the age check.
    @usableFromInline var oldestUncommittedOpenedAt: Int64? {
        guard case .running(let running) = state else { return nil }
        return ([running.open?.openedAt] + running.pending.map { $0.handle.openedAt }).compactMap { $0 }.min()
    }
}

extension TransactionLifecycle.Running {
    @usableFromInline mutating func makeID() -> TransactionLifecycle.ID {
        nextID += 1
        return TransactionLifecycle.ID(nextID)
    }

    /// Releases the committed transactions that no restorable checkpoint names: every
    /// checkpoint that listed them is older than the oldest of the `retainedCheckpoints` newest
    /// completed ones. (Checkpoints still in flight were taken after the transaction left the
    /// snapshots, so they do not name it.) Until that many completions were heard, the oldest
    /// retained one is unknown and nothing is released.
    @usableFromInline mutating func releaseUnnamed(retainedCheckpoints: Int) -> [TransactionLifecycle.Action] {
        guard completed.count >= retainedCheckpoints, let oldestRestorable = completed.first else { return [] }
        var released: [TransactionLifecycle.Action] = []
        retained.removeAll { handle in
            guard (handle.lastListedIn ?? Int64.min) < oldestRestorable else { return false }
            released.append(.release(handle.transaction, endedHere: handle.endedHere))
            return true
        }
        return released
    }
}
