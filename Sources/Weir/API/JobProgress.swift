/// A running job's progress, reported periodically to ``StreamEnvironment/progressHandler``.
public struct JobProgress: Sendable {
    /// Since `execute()` was called.
    public var elapsedSeconds: Double
    /// Records the sources emitted so far (over restarts).
    public var sourceRecords: Int
    /// Late records dropped so far.
    public var lateRecordsDropped: Int
    /// Checkpoints completed so far in this attempt.
    public var checkpoints: [CheckpointStatistics]
    /// Restarts so far.
    public var restarts: Int
    /// The counters of every operator (summed over its subtasks and over restarts).
    public var operators: [OperatorMetrics]
}
