/// A parallel source of records. Each parallel subtask gets its own ``SourceReader``.
public protocol Source<Output>: Sendable {
    /// The records produced.
    associatedtype Output: Sendable
    /// The reader type of one subtask.
    associatedtype Reader: SourceReader where Reader.Output == Output

    /// The most subtasks this source can use; `nil` for no limit. A source with a limit runs
    /// with `min(limit, requested parallelism)` subtasks.
    var maxParallelism: Int? { get }

    /// The reader of one subtask.
    func makeReader(_ context: SourceContext) throws -> Reader

    /// A reader that continues from positions a checkpoint recorded: the splits that
    /// ``SourceReader/snapshotSplits()`` returned, dealt round-robin over the subtasks (so a
    /// job can be restored with another parallelism).
    func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> Reader
}

extension Source {
    /// No limit: the job's parallelism.
    @inlinable public var maxParallelism: Int? { nil }

    /// Throws: a source must implement this to be used in a job with checkpoints.
    @inlinable public func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> Reader {
        throw CheckpointError.unsupported("source '\(context.operatorName)' cannot resume from a checkpoint; implement restoreReader(_:splits:)")
    }
}

/// Reads one subtask's share of a source, a batch at a time, on the task's thread.
public protocol SourceReader<Output> {
    /// The records produced.
    associatedtype Output: Sendable

    /// Appends up to `maxRecords` records to `batch` (which arrives empty).
    mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll
    /// The reader's position, as independent splits (each restorable on any subtask), for a
    /// checkpoint. Called on the task thread between polls; must be cheap.
    func snapshotSplits() throws -> [[UInt8]]

    /// The same for checkpoint `checkpointID`; what the job calls. Default: ``snapshotSplits()``.
    /// A reader that acts on completed checkpoints remembers here what each one holds.
    func snapshotSplits(checkpointID: Int64) throws -> [[UInt8]]

    /// Checkpoint `checkpointID` completed (on the task thread, between polls); the positions
    /// it holds are durable. For side effects outside the guarantee, such as reporting progress
    /// to the external system. Default: nothing.
    mutating func notifyCheckpointComplete(_ checkpointID: Int64) throws

    /// Releases resources; called once, also after a failure.
    mutating func close()

    /// Event-time progress the reader vouches for itself — for a reader of several partitions,
    /// the least advanced of its partitions' watermarks — emitted by the task whenever it
    /// advances; `nil` (the default) for a reader that leaves watermarks to a
    /// `assignTimestampsAndWatermarks` after the source.
    var currentWatermark: Watermark? { get }

    /// Whether every input of the reader has been idle long enough that it should not hold back
    /// downstream watermarks. Default: false.
    var isIdle: Bool { get }
}

extension SourceReader {
    /// Throws: a reader must implement this to be used in a job with checkpoints.
    @inlinable public func snapshotSplits() throws -> [[UInt8]] {
        throw CheckpointError.unsupported("\(Self.self) cannot record its position; it cannot be used in a job with checkpoints")
    }

    /// The positions of ``snapshotSplits()``; the checkpoint id is for readers that act on it.
    @inlinable public func snapshotSplits(checkpointID: Int64) throws -> [[UInt8]] { try snapshotSplits() }

    /// Nothing to do.
    @inlinable public mutating func notifyCheckpointComplete(_ checkpointID: Int64) throws {}

    /// No watermark from the source.
    @inlinable public var currentWatermark: Watermark? { nil }

    /// Never idle.
    @inlinable public var isIdle: Bool { false }

    /// Nothing to release.
    @inlinable public mutating func close() {}
}

/// What a reader says after a poll.
public enum SourcePoll: Sendable, Equatable {
    /// More records may be read right away.
    case more
    /// Nothing to read now; poll again after about this many milliseconds.
    case pause(milliseconds: Int)
    /// This subtask's share is exhausted.
    case finished
}

/// Which subtask a reader or writer runs as.
public struct SourceContext: Sendable {
    /// This subtask's index, from 0.
    public let subtask: Int
    /// How many subtasks the operator runs as.
    public let parallelism: Int
    /// The operator's name, for messages.
    public let operatorName: String
    /// The name the job was executed with (`execute(_:)`); transactional sinks name their
    /// transactions after it so that a restarted job finds its own.
    public var jobName: String = "Weir job"
    /// How often the job takes checkpoints (`nil`: it takes none); a transactional sink checks
    /// that its external system keeps transactions open long enough.
    public var checkpointInterval: Duration?
    /// How many completed checkpoints the job keeps (any of them may be restored): a sink that
    /// keeps records of its commits keeps those that these checkpoints refer to.
    public var retainedCheckpoints: Int = 2
    /// The parallelism of the run whose checkpoint this one restored (`nil` on a fresh start):
    /// a sink that names its transactions by subtask finds those of an earlier, larger run.
    public var restoredParallelism: Int?

    /// A context for one subtask (Weir makes these; tests and tools may too).
    public init(subtask: Int, parallelism: Int, operatorName: String, jobName: String = "Weir job", checkpointInterval: Duration? = nil,
                retainedCheckpoints: Int = 2) {
        self.subtask = subtask
        self.parallelism = parallelism
        self.operatorName = operatorName
        self.jobName = jobName
        self.checkpointInterval = checkpointInterval
        self.retainedCheckpoints = retainedCheckpoints
    }
}

/// Which subtask a sink writer runs as.
public typealias SinkContext = SourceContext
