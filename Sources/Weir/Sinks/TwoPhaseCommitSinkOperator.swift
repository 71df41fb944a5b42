import Foundation

/// Runs a ``TwoPhaseCommitSink``: the writer does the I/O, ``TwoPhaseCommitStateMachine``
/// decides what happens when, and this operator connects them to barriers, checkpoint
/// notifications and restores.
///
/// Its operator state (in every checkpoint) is the list of pre-committed transactions waiting
/// for their checkpoint and the open one. A commit that fails is retried with backoff; when the
/// attempts are used up the job fails, and the restart commits the transaction from the
/// checkpoint — it is never dropped.
@usableFromInline final class TwoPhaseCommitSinkOperator<Sink: TwoPhaseCommitSink>: StreamOperator {
    @usableFromInline typealias Input = Sink.Input

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
    @usableFromInline var machine = TwoPhaseCommitStateMachine()
    @usableFromInline var current: Sink.Transaction?
    @usableFromInline var currentOpenedFor: Int64 = 0
    @usableFromInline var currentOpenedAt: Int64 = 0
    /// Pre-committed transactions by the checkpoint they wait for, with when they were opened.
    @usableFromInline var waiting: [Int64: [(transaction: Sink.Transaction, openedFor: Int64, openedAt: Int64)]] = [:]

    @inlinable init(sink: Sink, options: TwoPhaseCommitOptions) {
        self.sink = sink
        self.options = options
    }

    @inlinable func open(_ context: OperatorContext) throws {
        self.context = context
        let location = context.location
        writer = try sink.makeWriter(SinkContext(subtask: location.subtask, parallelism: location.parallelism, operatorName: location.operatorName, jobName: context.jobName,
                                             checkpointInterval: context.checkpointInterval, retainedCheckpoints: context.retainedCheckpoints))
        let decoder = BinaryStateDecoder()
        let restoredCheckpoint = context.restored?.checkpointID
        let all = try (context.restored?.allSplits ?? []).map { try decoder.decode(Record.self, from: $0) }
        let mine = try (context.takeRestoredSplits() ?? []).map { try decoder.decode(Record.self, from: $0) }
        if let restoredCheckpoint { options.stepObserver?(.beforeRecovery(checkpointID: restoredCheckpoint)) }
        let actions = machine.start(restoredCheckpoint: restoredCheckpoint,
                                    waiting: mine.compactMap(\.waitingFor),
                                    open: mine.filter { $0.waitingFor == nil }.map(\.openedFor))
        for action in actions {
            switch action {
            case .recoverAndCommit(let checkpointID):
                for record in mine where record.waitingFor == checkpointID {
                    try withRetries("recovering and committing the transaction of checkpoint \(checkpointID)") { try writer.recoverAndCommit(record.transaction) }
                }
            case .recoverAndAbort(let openedFor):
                for record in mine where record.waitingFor == nil && record.openedFor == openedFor {
                    try writer.recoverAndAbort(record.transaction)
                }
            case .abortLingering:
                try writer.abortLingeringTransactions(known: all.map(\.transaction), parallelism: location.parallelism)
            case .prepareReplay(let checkpointID):
                try writer.prepareReplay(after: checkpointID, parallelism: location.parallelism)
            case .begin(let checkpointID):
                try begin(checkpointID)
            case .preCommit, .commit:
                preconditionFailure("not an action of start")
            }
        }
    }

    @inlinable func begin(_ checkpointID: Int64) throws {
        current = try writer.beginTransaction(checkpointID: checkpointID)
        currentOpenedFor = checkpointID
        currentOpenedAt = ProcessingClock.nowMilliseconds()
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        try writer.write(value, timestamp: timestamp, to: &current!)
    }

    @inlinable func snapshotExtras(checkpointID: Int64, maxParallelism: Int) throws -> OperatorExtras {
        for action in machine.barrier(checkpointID) {
            switch action {
            case .preCommit:
                options.stepObserver?(.beforePreCommit(checkpointID: checkpointID))
                do {
                    try writer.preCommit(&current!)
                } catch {
                    // What the external system holds of the transaction is unknown: replay
                    // its records from the last checkpoint rather than commit it later.
                    throw TaskFailingSnapshotError(underlying: context.location.attribute(error))
                }
                waiting[checkpointID, default: []].append((current!, currentOpenedFor, currentOpenedAt))
                options.stepObserver?(.afterPreCommit(checkpointID: checkpointID))
            case .begin(let next):
                try begin(next)
            default:
                preconditionFailure("not an action of a barrier")
            }
        }
        try checkTransactionAges()
        let encoder = BinaryStateEncoder()
        var records: [Record] = []
        for (checkpoint, transactions) in waiting.sorted(by: { $0.key < $1.key }) {
            for entry in transactions { records.append(Record(waitingFor: checkpoint, openedFor: entry.openedFor, transaction: entry.transaction)) }
        }
        if let current { records.append(Record(waitingFor: nil, openedFor: currentOpenedFor, transaction: current)) }
        return OperatorExtras(splits: try records.map { try encoder.encode($0) })
    }

    @inlinable func notifyCheckpointComplete(_ checkpointID: Int64) throws {
        let actions = machine.complete(checkpointID)
        guard !actions.isEmpty else { return }
        options.stepObserver?(.beforeCommit(checkpointID: checkpointID))
        for case .commit(let due) in actions {
            for entry in waiting[due] ?? [] {
                try withRetries("committing the transaction of checkpoint \(due)") { try writer.commit(entry.transaction) }
                context.metrics.transactionsCommitted.add()
                options.stepObserver?(.afterCommitOfOne(checkpointID: checkpointID))
            }
            machine.committed(due)
            waiting[due] = nil
        }
    }

    @inlinable func notifyCheckpointAborted(_ checkpointID: Int64) {
        // The waiting transactions stay: a later completion covers them.
        _ = machine.aborted(checkpointID)
    }

    /// Warns about (or fails on) transactions older than the timeout: the external system may
    /// abort them on its own, and then their records are lost.
    @inlinable func checkTransactionAges() throws {
        let now = ProcessingClock.nowMilliseconds()
        let limit = options.transactionTimeout.wholeMilliseconds
        var oldest = current == nil ? Int64.max : currentOpenedAt
        for entries in waiting.values { for entry in entries { oldest = min(oldest, entry.openedAt) } }
        guard oldest != Int64.max, now - oldest > limit else { return }
        let message = "a transaction of sink \(context.location) is \(now - oldest) ms old, older than the transaction timeout of \(limit) ms; checkpoints may be failing or too rare, and the external system may abort it"
        if options.failOnTransactionTimeout { throw TwoPhaseCommitError.transactionTimedOut(message) }
        context.warn(message)
    }

    @inlinable func withRetries(_ what: String, _ body: () throws -> Void) throws {
        var delay = options.commitRetryDelay
        for attempt in 1...max(1, options.commitAttempts) {
            do {
                try body()
                return
            } catch let error as TwoPhaseCommitError {
                // Retrying cannot bring back a lost transaction's records.
                guard case .lostTransaction = error else { throw error }
                context.metrics.commitFailures.add()
                throw error
            } catch {
                context.metrics.commitFailures.add()
                guard attempt < options.commitAttempts else {
                    throw TwoPhaseCommitError.commitFailed("\(what) failed \(attempt) times: \(error); the job fails so that a restart commits it from the checkpoint")
                }
                context.warn("\(what) failed (attempt \(attempt) of \(options.commitAttempts)), retrying in \(delay): \(error)")
                Thread.sleep(forTimeInterval: Double(delay.wholeMilliseconds) / 1_000)
                delay = delay * 2
            }
        }
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {}
    @inlinable func processIdleness(_ idle: Bool) throws {}
    @inlinable func processBarrier(_ barrier: CheckpointBarrier) throws {}
    @inlinable func advanceProcessingTime(to now: Int64) throws {}
    @inlinable func flush() throws {}

    @inlinable func finish() throws {
        guard let open = current else { return }
        current = nil
        if context.checkpointingEnabled {
            // Opened after the final checkpoint's barrier: nothing can be in it.
            try writer.abort(open)
        } else {
            // Without checkpoints there is no commit phase: commit at the end of input
            // (exactly-once needs checkpoints).
            var transaction = open
            try writer.preCommit(&transaction)
            try withRetries("committing the last transaction") { try writer.commit(transaction) }
        }
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
