import Synchronization

/// Collects every value in memory, for tests and small jobs. Read ``values`` after
/// `execute()` returned.
///
/// Each subtask collects into its own buffer and hands it over once at end of input, so
/// collecting costs no lock per record. Values keep their order within a subtask; the order
/// between subtasks is not defined. What an attempt that failed had collected is dropped
/// (it never reached its end of input): after restarts from a checkpoint, values emitted
/// before that checkpoint are missing. Exactly-once output across failures is what the
/// two-phase-commit sinks are for.
public final class CollectSink<Input: Sendable>: Sink, Sendable {
    @usableFromInline let collected = Mutex<[StreamRecord<Input>]>([])

    /// An empty sink.
    @inlinable public init() {}

    /// Everything collected so far.
    @inlinable public var values: [Input] { collected.withLock { $0.map(\.value) } }
    /// Everything collected so far, with timestamps.
    @inlinable public var records: [StreamRecord<Input>] { collected.withLock { $0 } }

    /// A subtask's writer, which collects into a buffer of its own.
    @inlinable public func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }

    @inlinable func append(_ records: [StreamRecord<Input>]) {
        collected.withLock { $0.append(contentsOf: records) }
    }

    /// Collects one subtask's values and hands them to the sink at end of input.
    public final class Writer: SinkWriter {
        @usableFromInline let sink: CollectSink
        @usableFromInline let buffer = TaskConfined<[StreamRecord<Input>]>([])

        @inlinable init(sink: CollectSink) { self.sink = sink }

        /// Appends the value to the subtask's buffer.
        @inlinable public func write(_ value: Input, timestamp: Int64) throws {
            buffer.value.append(StreamRecord(value, timestamp: timestamp))
        }

        /// Hands the buffer to the sink.
        @inlinable public func finish() throws {
            sink.append(buffer.value)
            buffer.value = []
        }

        deinit { buffer.release() }
    }
}
