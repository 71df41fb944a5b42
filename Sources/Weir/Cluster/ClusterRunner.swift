/// Runs a job built with ``StreamEnvironment`` as one of several identical processes instead of
/// in this process alone (``StreamEnvironment/cluster``). Weir has no cluster of its own: a
/// runner rides on existing infrastructure — WeirKafka's `.kafkaGroup(…)` makes the processes
/// the members of a Kafka consumer group, which deals them the job's tasks
/// (one per partition of each stage's input, see ``ClusterTask``).
///
/// `execute` blocks until the job is stopped (``StreamEnvironment/stop()`` or
/// ``StreamEnvironment/cancel()``, e.g. from a SIGTERM handler) or one of its tasks fails for
/// good; tasks come and go with rebalances in between, so it does not end when this process's
/// tasks do.
public protocol ClusterRunner: Sendable {
    /// Runs `environment`'s job as this process's share of the cluster.
    func execute(_ environment: StreamEnvironment, jobName: String) throws -> JobExecutionResult
}
