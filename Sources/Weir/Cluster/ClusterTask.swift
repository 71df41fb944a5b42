/// One unit of a job that a cluster deals to its processes: the stage of the job that reads
/// `input`, over one of its partitions — with state, checkpoints and transactional ids of its
/// own, so that it restores wherever it runs next.
public struct ClusterTask: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The partitioned input the stage reads (a Kafka topic).
    public var input: String
    /// The partition of `input` the task reads.
    public var partition: Int32
    /// How many partitions `input` has: the number of tasks of the stage.
    public var partitionCount: Int32

    /// The task of `partition` of `input`.
    public init(input: String, partition: Int32, partitionCount: Int32) {
        self.input = input
        self.partition = partition
        self.partitionCount = partitionCount
    }

    /// `<input>-<partition>`: stable across runs, safe in object keys and transactional ids.
    public var name: String { "\(input)-\(partition)" }

    /// "task <input>-<partition>", as logs and errors name it.
    public var description: String { "task \(name)" }

    /// By input, then partition.
    public static func < (lhs: ClusterTask, rhs: ClusterTask) -> Bool { (lhs.input, lhs.partition) < (rhs.input, rhs.partition) }
}
