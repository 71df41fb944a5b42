import Foundation

/// Prints each value on its own line to standard output, prefixed like Flink's print sink:
/// `prefix:subtask> value` when parallel, `prefix> value` otherwise (no prefix: `subtask> value`).
public struct PrintSink<Input: Sendable>: Sink {
    @usableFromInline let prefix: String

    /// A sink that prints with `prefix` (see above).
    @inlinable public init(prefix: String = "") { self.prefix = prefix }

    /// A subtask's writer, labelled with the subtask's number when the sink is parallel.
    @inlinable public func makeWriter(_ context: SinkContext) throws -> Writer {
        let subtask = context.parallelism > 1 ? "\(context.subtask + 1)" : ""
        let label: String
        switch (prefix.isEmpty, subtask.isEmpty) {
        case (true, true): label = ""
        case (true, false): label = "\(subtask)> "
        case (false, true): label = "\(prefix)> "
        case (false, false): label = "\(prefix):\(subtask)> "
        }
        return Writer(label: label)
    }

    /// Prints one subtask's values, 16 KiB at a time.
    public final class Writer: SinkWriter {
        @usableFromInline let label: String
        @usableFromInline var pending = ""

        @inlinable init(label: String) { self.label = label }

        /// Buffers the value's line.
        @inlinable public func write(_ value: Input, timestamp: Int64) throws {
            pending += label
            pending += String(describing: value)
            pending += "\n"
            if pending.utf8.count >= 1 << 14 { flushToStandardOutput() }
        }

        /// Prints what is buffered.
        @inlinable public func finish() throws { flushToStandardOutput() }

        @inlinable func flushToStandardOutput() {
            guard !pending.isEmpty else { return }
            FileHandle.standardOutput.write(Data(pending.utf8))
            pending = ""
        }
    }
}
