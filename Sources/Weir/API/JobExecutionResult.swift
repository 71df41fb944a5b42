/// What a finished job reports.
public struct JobExecutionResult: Sendable {
    /// The name given to `execute(_:)`.
    public let jobName: String
    /// Wall-clock time from start to the last task's end.
    public let durationSeconds: Double
    /// Counters of every operator, in the order the operators were defined (summed over
    /// restarts).
    public let operators: [OperatorMetrics]
    /// How often the job was restarted after a failure.
    public var restarts: Int = 0
    /// The checkpoint the job resumed from (`resume: .latest`), if any.
    public var restoredFrom: Int64?
    /// The checkpoints completed, in order, over all restarts.
    public var checkpoints: [CheckpointStatistics] = []
    /// The job ended because of ``StreamEnvironment/stop()``, not because its input was
    /// exhausted: `resume: .latest` continues it.
    public var stopped = false

    /// The counters of the first operator named `name`.
    public func metrics(of name: String) -> OperatorMetrics? {
        operators.first { $0.operatorName == name }
    }

    /// Late records dropped by all windows of the job.
    public var lateRecordsDropped: Int { operators.reduce(0) { $0 + $1.lateRecordsDropped.value } }

    /// Records emitted by all sources of the job.
    public var sourceRecords: Int { operators.reduce(0) { $0 + $1.recordsOut.value } }
}

extension JobExecutionResult {
    /// A cluster process's result (``ClusterRunner``): its tasks' counters are reported as they
    /// run, not summed here.
    @_spi(ClusterRunner) public init(clusterJob jobName: String, durationSeconds: Double, stopped: Bool) {
        self.init(jobName: jobName, durationSeconds: durationSeconds, operators: [], stopped: stopped)
    }
}
