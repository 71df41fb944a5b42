import Foundation

/// Runs a ``TwoPhaseCommitSink``: the writer does the I/O, ``TransactionLifecycle`` holds the
/// transactions and decides what happens to them when, and this operator connects the two to
/// barriers, checkpoint notifications, the clock and restores.
///
/// Its operator state (in every checkpoint) is the list of pre-committed transactions not yet
/// committed and the open one. A commit that fails is retried with backoff on later ticks of
/// the task's clock (records keep flowing; the task thread never sleeps for it), and at the end
/// of input the sink waits for outstanding retries before it ends; when the attempts are used
/// up the job fails, and the restart commits the transaction from the checkpoint — it is never
/// dropped.
@usableFromInline final class TwoPhaseCommitSinkOperator<Sink: TwoPhaseCommitSink>: StreamOperator {
    @usableFromInline typealias Input = Sink.Input
    @usableFromInline typealias Lifecycle = TransactionLifecycle<Sink.Transaction>

    /// One transaction in the operator state.
    @usableFromInline struct Record: Codable {
        @usableFromInline init(waitingFor: Int64?, openedFor: Int64, transaction: Sink.Transaction) { self.waitingFor = waitingFor; self.openedFor = openedFor; self.transaction = transaction }
        /// The checkpoint it waits for; `nil` for the open transaction.
        @usableFromInline var waitingFor: Int64?
        /// The checkpoint it was opened for.
        @usableFromInline var openedFor: Int64
        @usableFromInline var transaction: Sink.Transaction
    }

    @usableFromInline let sink: Sink
    @usableFromInline let options: TwoPhaseCommitOptions
    @usableFromInline var writer: Sink.Writer!
    @usableFromInline var context: OperatorContext!
    @usableFromInline var lifecycle: Lifecycle

    @inlinable init(sink: Sink, options: TwoPhaseCommitOptions) {
        self.sink = sink
        self.options = options
        lifecycle = Self.lifecycle(options, retainedCheckpoints: 2, checkpointing: true)  // replaced in open, when the job's checkpoints are known
    }

    /// A lifecycle with the sink's commit settings.
    @inlinable static func lifecycle(_ options: TwoPhaseCommitOptions, retainedCheckpoints: Int, checkpointing: Bool) -> Lifecycle {
        Lifecycle(options: Lifecycle.Options(commitAttempts: options.commitAttempts,
                                             commitRetryDelayMilliseconds: options.commitRetryDelay.wholeMilliseconds,
                                             retainedCheckpoints: retainedCheckpoints, checkpointing: checkpointing))
    }

    @inlinable func open(_ context: OperatorContext) throws {
        self.context = context
        let location = context.location
        var sinkContext = SinkContext(subtask: location.subtask, parallelism: location.parallelism, operatorName: location.operatorName, jobName: context.jobName,
                                      checkpointInterval: context.checkpointInterval, retainedCheckpoints: context.retainedCheckpoints)
        sinkContext.restoredParallelism = context.restored?.parallelism
        writer = try sink.makeWriter(sinkContext)
        lifecycle = Self.lifecycle(options, retainedCheckpoints: context.retainedCheckpoints, checkpointing: context.checkpointingEnabled)
        let decoder = BinaryStateDecoder()
        var restored: Lifecycle.Restored?
        if let state = context.restored {
            let mineEncoded = context.takeRestoredListState() ?? []
            // The other subtasks' share: every entry of the checkpoint but this subtask's (as a
            // multiset of encodings: entries are whole transactions, none repeats in a snapshot).
            var unclaimed = Dictionary(mineEncoded.map { ($0, 1) }, uniquingKeysWith: +)
            let othersEncoded = state.allListState.filter { entry in
                guard let count = unclaimed[entry], count > 0 else { return true }
                unclaimed[entry] = count - 1
                return false
            }
            let mine = try mineEncoded.map { try decoder.decode(Record.self, from: $0) }
            restored = Lifecycle.Restored(checkpointID: state.checkpointID,
                                          pending: mine.compactMap { record in record.waitingFor.map { ($0, record.openedFor, record.transaction) } },
                                          open: mine.filter { $0.waitingFor == nil }.map { ($0.openedFor, $0.transaction) },
                                          others: try othersEncoded.map { try decoder.decode(Record.self, from: $0).transaction })
            options.stepObserver?(.beforeRecovery(checkpointID: state.checkpointID))
        }
        try perform(lifecycle.start(restored: restored, now: ProcessingClock.nowMilliseconds()))
    }

    /// Does what the lifecycle asked for, reporting each outcome back to it.
    @inlinable func perform(_ actions: [Lifecycle.Action]) throws {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .commit(let id, let transaction, let recovered):
                let outcome: [Lifecycle.Action]
                do {
                    if recovered { try writer.recoverAndCommit(transaction) } else { try writer.commit(transaction) }
                    context.metrics.transactionsCommitted.add()
                    outcome = lifecycle.commitSucceeded(id)
                } catch let error as TwoPhaseCommitError {
                    // A lost transaction: retrying cannot bring back its records.
                    context.metrics.commitFailures.add()
                    _ = lifecycle.commitFailed(id, retriable: false, error: error.description, now: ProcessingClock.nowMilliseconds())
                    throw error
                } catch {
                    context.metrics.commitFailures.add()
                    outcome = lifecycle.commitFailed(id, retriable: true, error: "\(error)", now: ProcessingClock.nowMilliseconds())
                }
                queue.append(contentsOf: outcome)
            case .abortRecovered(let transaction):
                try writer.recoverAndAbort(transaction)
            case .abortLingering(let known):
                try writer.abortLingeringTransactions(known: known, parallelism: context.location.parallelism)
            case .prepareReplay(let checkpointID):
                try writer.prepareReplay(after: checkpointID, parallelism: context.location.parallelism)
            case .begin(let checkpointID):
                lifecycle.opened(try writer.beginTransaction(checkpointID: checkpointID), for: checkpointID, now: ProcessingClock.nowMilliseconds())
            case .release(let transaction, let endedHere):
                try writer.releaseTransaction(transaction, endedHere: endedHere)
            case .retryScheduled(let checkpointID, let attempt, let delay, let error):
                let which = context.checkpointingEnabled ? "the transaction of checkpoint \(checkpointID)" : "the last transaction"
                context.warn("committing \(which) failed (attempt \(attempt) of \(options.commitAttempts)), retrying in \(delay) ms: \(error)")
            case .fail(let message):
                throw TwoPhaseCommitError.commitFailed(message)
            }
        }
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        try lifecycle.withOpenTransaction { try writer.write(value, timestamp: timestamp, to: &$0) }
    }

    @inlinable func snapshotExtras(checkpointID: Int64, maxParallelism: Int) throws -> OperatorExtras {
        if var transaction = lifecycle.openTransaction {
            options.stepObserver?(.beforePreCommit(checkpointID: checkpointID))
            do {
                try writer.preCommit(&transaction)
            } catch {
                // What the external system holds of the transaction is unknown: replay
                // its records from the last checkpoint rather than commit it later.
                throw TaskFailingSnapshotError(underlying: context.location.attribute(error))
            }
            let next = lifecycle.preCommitted(transaction, at: checkpointID)
            options.stepObserver?(.afterPreCommit(checkpointID: checkpointID))
            try perform([next])
        }
        try checkTransactionAges()
        let snapshot = lifecycle.snapshot(checkpointID)
        var records = snapshot.pending.map { Record(waitingFor: $0.checkpoint, openedFor: $0.openedFor, transaction: $0.transaction) }
        if let open = snapshot.open { records.append(Record(waitingFor: nil, openedFor: open.openedFor, transaction: open.transaction)) }
        let encoder = BinaryStateEncoder()
        return OperatorExtras(listState: try records.map { try encoder.encode($0) })
    }

    @inlinable func notifyCheckpointComplete(_ checkpointID: Int64) throws {
        let actions = lifecycle.checkpointCompleted(checkpointID)
        guard actions.contains(where: { if case .commit = $0 { true } else { false } }) else { return try perform(actions) }
        options.stepObserver?(.beforeCommit(checkpointID: checkpointID))
        for action in actions {
            try perform([action])
            if case .commit = action { options.stepObserver?(.afterCommitOfOne(checkpointID: checkpointID)) }
        }
    }

    @inlinable func notifyCheckpointAborted(_ checkpointID: Int64) {
        // The pending transactions stay: a later completion covers them.
    }

    /// Warns about (or fails on) transactions older than the timeout: the external system may
    /// abort them on its own, and then their records are lost.
    @inlinable func checkTransactionAges() throws {
        guard let oldest = lifecycle.oldestUncommittedOpenedAt else { return }
        let now = ProcessingClock.nowMilliseconds()
        let limit = options.transactionTimeout.wholeMilliseconds
        guard now - oldest > limit else { return }
        let message = "a transaction of sink \(context.location) is \(now - oldest) ms old, older than the transaction timeout of \(limit) ms; checkpoints may be failing or too rare, and the external system may abort it"
        if options.failOnTransactionTimeout { throw TwoPhaseCommitError.transactionTimedOut(message) }
        context.warn(message)
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {}
    @inlinable func processIdleness(_ idle: Bool) throws {}
    @inlinable func processBarrier(_ barrier: CheckpointBarrier) throws {}
    @inlinable func flush() throws {}

    /// The task's clock: commits whose retry is due.
    @inlinable func advanceProcessingTime(to now: Int64) throws {
        guard lifecycle.nextRetryDue.map({ $0 <= now }) == true else { return }
        try perform(lifecycle.tick(now: now))
    }

    @inlinable func finish() throws {
        if !context.checkpointingEnabled, var transaction = lifecycle.openTransaction {
            // Without checkpoints there is no commit phase: commit at the end of input
            // (exactly-once needs checkpoints).
            try writer.preCommit(&transaction)
            try perform(lifecycle.commitAtEndOfInput(transaction))
        }
        // A transaction whose commit is being retried must be committed before the sink ends:
        // no records are left, so the task waits for the retry here.
        while lifecycle.hasCommitsOutstanding {
            guard let due = lifecycle.nextRetryDue else { break }
            let wait = due - ProcessingClock.nowMilliseconds()
            if wait > 0 { Thread.sleep(forTimeInterval: Double(wait) / 1_000) }
            try perform(lifecycle.tick(now: ProcessingClock.nowMilliseconds()))
        }
        // With checkpoints: opened after the final checkpoint's barrier, nothing can be in it.
        if let open = lifecycle.endOfInput() { try writer.abort(open) }
    }

    @inlinable func close() { writer?.close() }
}

/// Errors of two-phase-commit sinks.
public enum TwoPhaseCommitError: Error, CustomStringConvertible {
    /// A commit failed all its attempts; the job restarts and commits it again.
    case commitFailed(String)
    /// A transaction outlived ``TwoPhaseCommitOptions/transactionTimeout`` (with ``TwoPhaseCommitOptions/failOnTransactionTimeout``).
    case transactionTimedOut(String)
    /// The external system no longer has a pre-committed transaction that a checkpoint names: its rows are lost.
    case lostTransaction(String)

    /// What happened to which transaction, and what to do.
    public var description: String {
        switch self {
        case .commitFailed(let message), .transactionTimedOut(let message): return message
        case .lostTransaction(let message): return "transaction lost: \(message)"
        }
    }
}
