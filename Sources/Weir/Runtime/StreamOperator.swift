/// One operator instance, run by one task thread.
///
/// The runtime calls `open`, then any interleaving of records, watermarks, idleness changes and
/// processing-time advances, then `finish` once at end of input, and `close` always (also after
/// a failure). Checkpoint hooks (snapshot, restore, notifications) join this lifecycle with the
/// checkpointing work.
///
/// Operators are final classes: the runtime calls them through closures created where their
/// concrete type is known, so every call runs specialized code.
@usableFromInline protocol StreamOperator: OperatorLifecycle {
    associatedtype Input: Sendable

    func processRecord(_ value: Input, timestamp: Int64) throws
    func processWatermark(_ watermark: Watermark) throws
    func processIdleness(_ idle: Bool) throws
    /// A checkpoint barrier passes through the chain after the task snapshotted every operator
    /// of it; operators only forward it.
    func processBarrier(_ barrier: CheckpointBarrier) throws
    func advanceProcessingTime(to now: Int64) throws
    func flush() throws
    func finish() throws
}

/// Lifecycle and checkpoint calls every operator answers, whatever its input type.
@usableFromInline protocol OperatorLifecycle: AnyObject {
    func open(_ context: OperatorContext) throws
    /// State beyond the keyed state store (timers, positions), as cheap copies, at the barrier
    /// of `checkpointID` (two-phase-commit sinks pre-commit here).
    func snapshotExtras(checkpointID: Int64, maxParallelism: Int) throws -> OperatorExtras
    /// Checkpoint `id` is complete: the commit phase.
    func notifyCheckpointComplete(_ checkpointID: Int64) throws
    /// Checkpoint `id` was aborted.
    func notifyCheckpointAborted(_ checkpointID: Int64)
    func close()
}

extension OperatorLifecycle {
    @inlinable func open(_ context: OperatorContext) throws {}
    @inlinable func snapshotExtras(checkpointID: Int64, maxParallelism: Int) throws -> OperatorExtras { OperatorExtras() }
    @inlinable func notifyCheckpointComplete(_ checkpointID: Int64) throws {}
    @inlinable func notifyCheckpointAborted(_ checkpointID: Int64) {}
    @inlinable func close() {}
}

/// An operator with one main output; control elements pass through unless it says otherwise.
@usableFromInline protocol OneOutputOperator: StreamOperator {
    associatedtype Output: Sendable
    var output: Weir.Output<Output> { get }
}

extension OneOutputOperator {
    @inlinable func processWatermark(_ watermark: Watermark) throws { try output.emitWatermark(watermark) }
    @inlinable func processIdleness(_ idle: Bool) throws { try output.emitIdleness(idle) }
    @inlinable func processBarrier(_ barrier: CheckpointBarrier) throws { try output.emitBarrier(barrier) }
    @inlinable func advanceProcessingTime(to now: Int64) throws { try output.advanceProcessingTime(to: now) }
    @inlinable func flush() throws { try output.flush() }
    @inlinable func finish() throws { try output.finish() }
}
