/// A destination for records. Each parallel subtask gets its own ``SinkWriter``.
public protocol Sink<Input>: Sendable {
    associatedtype Input: Sendable
    associatedtype Writer: SinkWriter where Writer.Input == Input

    func makeWriter(_ context: SinkContext) throws -> Writer
}

/// Writes one subtask's records, on the task's thread.
public protocol SinkWriter<Input>: AnyObject {
    associatedtype Input: Sendable

    func write(_ value: Input, timestamp: Int64) throws
    /// End of input: make everything written so far visible.
    func finish() throws
    /// Release resources; called once, also after a failure.
    func close()
}

extension SinkWriter {
    @inlinable public func finish() throws {}
    @inlinable public func close() {}
}
