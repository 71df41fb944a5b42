import Synchronization

/// Counters of one operator, summed over its subtasks.
public final class OperatorMetrics: Sendable {
    /// The operator's name in the job.
    public let operatorName: String
    /// Records that reached the operator from another task (counted for the first operator of
    /// a task only; chained operators pass records by direct call).
    public let recordsIn = Counter()
    /// Records a source emitted.
    public let recordsOut = Counter()
    /// Late records a window dropped (also sent to the late-data side output if one is set).
    public let lateRecordsDropped = Counter()
    /// Transactions a two-phase-commit sink committed.
    public let transactionsCommitted = Counter()
    /// Commit attempts of a two-phase-commit sink that failed (and were retried, or failed the job).
    public let commitFailures = Counter()
    /// Time the upstream tasks waited because this operator's input channels were full
    /// (backpressure caused by this task), in nanoseconds.
    public let inputBackpressureNanoseconds = Counter()
    @usableFromInline let watermarkValue = Atomic<Int64>(Int64.min)

    /// The latest watermark this operator's task received or generated (`Int64.min`: none yet).
    public var currentWatermark: Int64 { watermarkValue.load(ordering: .relaxed) }

    @usableFromInline func observeWatermark(_ watermark: Watermark) {
        watermarkValue.store(watermark.timestamp, ordering: .relaxed)
    }

    @usableFromInline init(operatorName: String) { self.operatorName = operatorName }
}
