/// A parallel source of records. Each parallel subtask gets its own ``SourceReader``.
public protocol Source<Output>: Sendable {
    associatedtype Output: Sendable
    associatedtype Reader: SourceReader where Reader.Output == Output

    /// The most subtasks this source can use; `nil` for no limit. A source with a limit runs
    /// with `min(limit, requested parallelism)` subtasks.
    var maxParallelism: Int? { get }

    /// The reader of one subtask.
    func makeReader(_ context: SourceContext) throws -> Reader
}

extension Source {
    public var maxParallelism: Int? { nil }
}

/// Reads one subtask's share of a source, a batch at a time, on the task's thread.
public protocol SourceReader<Output> {
    associatedtype Output: Sendable

    /// Appends up to `maxRecords` records to `batch` (which arrives empty).
    mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll
    /// Releases resources; called once, also after a failure.
    mutating func close()
}

extension SourceReader {
    public mutating func close() {}
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
    public let subtask: Int
    public let parallelism: Int
    public let operatorName: String
}

/// Which subtask a sink writer runs as.
public typealias SinkContext = SourceContext
