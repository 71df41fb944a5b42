/// One unit of work a worker runs: the job over one partition of its input topic, with state,
/// checkpoints and transactional ids of its own — so that it can move to another worker and
/// restore there from its latest completed checkpoint.
public struct WorkerTask: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The input partition the task reads.
    public var input: TopicPartition
    /// How many partitions the input topic has (the number of tasks).
    public var partitionCount: Int32

    /// The task of `input`.
    public init(input: TopicPartition, partitionCount: Int32) {
        self.input = input
        self.partitionCount = partitionCount
    }

    /// A name that is stable across runs and safe in object keys and transactional ids.
    public var name: String { "\(input.topic)-\(input.partition)" }

    /// "task <topic>-<partition>", as logs and errors name it.
    public var description: String { "task \(name)" }

    /// By input partition: the order tasks are listed and dealt in.
    public static func < (lhs: WorkerTask, rhs: WorkerTask) -> Bool { lhs.input < rhs.input }
}
