import Foundation

/// Prints each value on its own line to standard output (`subtask> value` when parallel).
public struct PrintSink<Input: Sendable>: Sink {
    let prefix: String

    public init(prefix: String = "") { self.prefix = prefix }

    public func makeWriter(_ context: SinkContext) throws -> Writer {
        var label = prefix
        if context.parallelism > 1 { label += "\(context.subtask + 1)> " } else if !prefix.isEmpty { label += " " }
        return Writer(label: label)
    }

    public final class Writer: SinkWriter {
        let label: String
        private var pending = ""

        init(label: String) { self.label = label }

        public func write(_ value: Input, timestamp: Int64) throws {
            pending += label
            pending += String(describing: value)
            pending += "\n"
            if pending.utf8.count >= 1 << 14 { flushToStandardOutput() }
        }

        public func finish() throws { flushToStandardOutput() }

        private func flushToStandardOutput() {
            guard !pending.isEmpty else { return }
            FileHandle.standardOutput.write(Data(pending.utf8))
            pending = ""
        }
    }
}
