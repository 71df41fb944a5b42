/// A destination for records. Each parallel subtask gets its own ``SinkWriter``.
public protocol Sink<Input>: Sendable {
    /// The records written.
    associatedtype Input: Sendable
    /// The writer type of one subtask.
    associatedtype Writer: SinkWriter where Writer.Input == Input

    /// The writer of one subtask.
    func makeWriter(_ context: SinkContext) throws -> Writer
}

/// Writes one subtask's records, on the task's thread.
public protocol SinkWriter<Input>: AnyObject {
    /// The records written.
    associatedtype Input: Sendable

    /// Writes one record (`timestamp` is its event time, or ``StreamRecord/noTimestamp``).
    func write(_ value: Input, timestamp: Int64) throws
    /// End of input: make everything written so far visible.
    func finish() throws
    /// Release resources; called once, also after a failure.
    func close()
}

extension SinkWriter {
    /// Nothing to make visible: the default for writers that write through.
    @inlinable public func finish() throws {}
    /// Nothing to release.
    @inlinable public func close() {}
}
