/// A stage of a job run by a cluster: the operators connected to one partitioned source.
/// Stages exchange records only through their inputs (a stage writes a repartition topic that
/// the next one reads), so each task of a stage runs on its own.
@_spi(ClusterRunner) public struct ClusterStage: Sendable {
    /// The stage's source, whose inputs' partitions are its tasks.
    public let source: any PartitionedSource
    /// The source's name in the job.
    public let sourceName: String
    /// The names of the stage's operators, in the order they were defined.
    public let operatorNames: [String]
}

/// What the graph knows of a ``PartitionedSource``'s node.
@usableFromInline struct PartitionedInput: Sendable {
    @usableFromInline let source: any PartitionedSource
    /// The node reading only one task's partition.
    @usableFromInline let restricted: @Sendable (ClusterTask) -> StreamNode.Kind

    @usableFromInline init(source: any PartitionedSource, restricted: @escaping @Sendable (ClusterTask) -> StreamNode.Kind) {
        self.source = source
        self.restricted = restricted
    }
}
