/// A sink that writes into an external system's transactions and makes them visible only
/// when the checkpoint that covers them completes — exactly-once output.
///
/// Implement ``TwoPhaseCommitWriter`` (the five steps); Weir's sink operator does all the
/// bookkeeping: which transactions are pre-committed and waiting, committing them when their
/// checkpoint completes, recovering them after a restore, retrying failed commits.
public protocol TwoPhaseCommitSink<Input>: Sendable {
    /// The records written.
    associatedtype Input: Sendable
    /// A handle that holds enough to commit or abort the transaction after a restart, in another
    /// process (for files: the temporary and the final paths).
    associatedtype Transaction: Codable & Sendable
    /// The writer type of one subtask.
    associatedtype Writer: TwoPhaseCommitWriter where Writer.Input == Input, Writer.Transaction == Transaction

    /// The writer of one subtask.
    func makeWriter(_ context: SinkContext) throws -> Writer

    /// What replaying already committed input does to the output (see ``SinkReplay``).
    /// Default ``SinkReplay/duplicates``: Weir then refuses to restore a checkpoint older than
    /// the latest completed one.
    var replay: SinkReplay { get }
}

extension TwoPhaseCommitSink {
    /// Replayed input duplicates output: the safe assumption.
    @inlinable public var replay: SinkReplay { .duplicates }
}

/// One subtask's side of a ``TwoPhaseCommitSink``.
public protocol TwoPhaseCommitWriter<Input, Transaction>: AnyObject {
    /// The records written.
    associatedtype Input: Sendable
    /// The handle of one transaction (the sink's ``TwoPhaseCommitSink/Transaction``).
    associatedtype Transaction: Codable & Sendable

    /// Opens a transaction for the records up to the barrier of `checkpointID` (use it to name
    /// the transaction deterministically).
    func beginTransaction(checkpointID: Int64) throws -> Transaction
    /// Writes one record into the open transaction.
    func write(_ value: Input, timestamp: Int64, to transaction: inout Transaction) throws
    /// At the barrier: make the transaction durable but not visible.
    func preCommit(_ transaction: inout Transaction) throws
    /// After its checkpoint completed: make it visible. Must be idempotent: it may run again
    /// for a transaction already committed (after a crash between commit and bookkeeping).
    func commit(_ transaction: Transaction) throws
    /// Discard the transaction.
    func abort(_ transaction: Transaction) throws
    /// Commit a pre-committed transaction found in a restored checkpoint. Default: `commit`.
    func recoverAndCommit(_ transaction: Transaction) throws
    /// Discard the transaction that was open when the restored checkpoint was taken. Default: `abort`.
    func recoverAndAbort(_ transaction: Transaction) throws
    /// Discard what earlier runs of this sink subtask left behind that none of `known` (every
    /// transaction of the restored checkpoint, or none) is. Default: nothing.
    func abortLingeringTransactions(known: [Transaction], parallelism: Int) throws
    /// Restored from checkpoint `checkpointID`, which may be older than the latest completed one:
    /// a sink that declares ``SinkReplay/replaces`` undoes here what it committed for later
    /// checkpoints (their input is about to be replayed). Called after recovery, before the
    /// first new transaction. Default: nothing.
    func prepareReplay(after checkpointID: Int64, parallelism: Int) throws
    /// No checkpoint that a restore could pick names `transaction` any more (it was committed
    /// or aborted, and the checkpoints that listed it are no longer retained): whatever the
    /// writer keeps to end it again — a name it may now reuse, a record of its commit — can
    /// go. The machine that decides this is the sink's only record of a transaction's life,
    /// so writers keep no lifecycle of their own.
    ///
    /// `endedHere` is `false` for a transaction of another subtask's share of the restored
    /// checkpoint (after a restore at another parallelism, names of this subtask's pool may be
    /// in another subtask's share): its name is free now, but its records belong to the
    /// subtask that committed it. Called at most once per transaction this subtask began and
    /// per transaction of the restored checkpoint, on the task thread; a crash or the end of
    /// the job may skip it, so a writer that keeps records also cleans up what a restart
    /// leaves (in ``abortLingeringTransactions(known:parallelism:)``). Default: nothing.
    func releaseTransaction(_ transaction: Transaction, endedHere: Bool) throws
    /// Release resources; called once, also after a failure.
    func close()
}

extension TwoPhaseCommitWriter {
    /// Commits as in normal operation.
    @inlinable public func recoverAndCommit(_ transaction: Transaction) throws { try commit(transaction) }
    /// Aborts as in normal operation.
    @inlinable public func recoverAndAbort(_ transaction: Transaction) throws { try abort(transaction) }
    /// Nothing lingers.
    @inlinable public func abortLingeringTransactions(known: [Transaction], parallelism: Int) throws {}
    /// Nothing to undo.
    @inlinable public func prepareReplay(after checkpointID: Int64, parallelism: Int) throws {}
    /// Keeps nothing per transaction.
    @inlinable public func releaseTransaction(_ transaction: Transaction, endedHere: Bool) throws {}
    /// Nothing to release.
    @inlinable public func close() {}
}

/// How the two-phase-commit sink operator behaves; one value per sink.
public struct TwoPhaseCommitOptions: Sendable {
    /// A transaction older than this is reported (the external system may time it out:
    /// Kafka's `transaction.timeout.ms`). Default 15 minutes.
    public var transactionTimeout: Duration = .seconds(900)
    /// Fail the job instead of warning when a transaction outlives the timeout. Default false.
    public var failOnTransactionTimeout = false
    /// Attempts of a commit before the job fails (and a restart commits it). Default 5.
    public var commitAttempts = 5
    /// Delay before the second attempt; doubled for each further one. Default 20 ms.
    public var commitRetryDelay: Duration = .milliseconds(20)
    /// Called at every protocol step, for crash tests (`nil` in production).
    public var stepObserver: (@Sendable (TwoPhaseCommitStep) -> Void)?

    /// The defaults.
    public init() {}
}

/// The protocol steps of a two-phase-commit sink, as crash tests see them.
public enum TwoPhaseCommitStep: Sendable, Hashable {
    /// The barrier of this checkpoint arrived; the transaction is about to be pre-committed.
    case beforePreCommit(checkpointID: Int64)
    /// The transaction of this checkpoint was pre-committed; the checkpoint is not complete yet.
    case afterPreCommit(checkpointID: Int64)
    /// The checkpoint completed; its transactions are about to be committed.
    case beforeCommit(checkpointID: Int64)
    /// One transaction of the checkpoint was committed, others may follow.
    case afterCommitOfOne(checkpointID: Int64)
    /// Restoring: about to recover the transactions of the restored checkpoint.
    case beforeRecovery(checkpointID: Int64)

    /// The step's name as crash tests spell it: `before-precommit`, `after-precommit`,
    /// `before-commit`, `mid-commit`, `before-recovery`.
    public var name: String {
        switch self {
        case .beforePreCommit: return "before-precommit"
        case .afterPreCommit: return "after-precommit"
        case .beforeCommit: return "before-commit"
        case .afterCommitOfOne: return "mid-commit"
        case .beforeRecovery: return "before-recovery"
        }
    }

    /// The checkpoint the step belongs to.
    public var checkpointID: Int64 {
        switch self {
        case .beforePreCommit(let id), .afterPreCommit(let id), .beforeCommit(let id), .afterCommitOfOne(let id), .beforeRecovery(let id): return id
        }
    }
}
