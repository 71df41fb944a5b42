/// A source whose input is split into numbered partitions that the tasks of a cluster read one
/// each (a Kafka topic). Only such sources can run in ``StreamEnvironment/cluster`` mode: the
/// cluster makes one task per partition and gives it the source reading that partition alone.
public protocol PartitionedSource: Source {
    /// The partitioned inputs the source reads (Kafka: its topics).
    var partitionedInputs: [String] { get }
    /// Whether all records of a key are in one partition, so that a `keyBy` after the source
    /// needs no exchange between tasks (a repartition topic, or an input produced partitioned
    /// by key and checked while it is read). Without it a cluster refuses a job that keys the
    /// stream in the same stage: each task would see only a part of each key.
    var isPartitionedByKey: Bool { get }
    /// The same source reading only `partition` of `input`.
    func reading(partition: Int32, of input: String) -> Self
    /// The key groups (of `maxParallelism`) that every record of `partition` of `input` has, if
    /// the source knows (a topic partitioned by key group). A cluster task's `keyBy` then checks
    /// each record against them and fails with ``KeyGroupOutsidePartitionError`` on one keyed by
    /// another key. Default: `nil`, nothing to check against.
    func keyGroups(ofPartition partition: Int32, of input: String, maxParallelism: Int) -> KeyGroupRange?
}

extension PartitionedSource {
    /// No key groups known.
    public func keyGroups(ofPartition partition: Int32, of input: String, maxParallelism: Int) -> KeyGroupRange? { nil }
}
