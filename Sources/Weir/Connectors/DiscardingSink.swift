/// Drops every value; counts them. For benchmarks and for jobs run for their side effects.
public struct DiscardingSink<Input: Sendable>: Sink {
    /// Values received, over all subtasks.
    public let count: Counter

    /// A sink that adds what it drops to `count`.
    @inlinable public init(count: Counter = Counter()) { self.count = count }

    /// A subtask's writer, counting locally and adding to the shared counter every 4,096 values.
    @inlinable public func makeWriter(_ context: SinkContext) throws -> Writer { Writer(count: count) }

    /// Counts one subtask's values.
    public final class Writer: SinkWriter {
        @usableFromInline let count: Counter
        @usableFromInline let local = TaskConfined<Int>(0)

        @inlinable init(count: Counter) { self.count = count }

        /// Counts the value.
        @inlinable public func write(_ value: Input, timestamp: Int64) throws {
            local.value &+= 1
            if local.value == 4_096 {
                count.add(local.value)
                local.value = 0
            }
        }

        /// Adds what is left to the shared counter.
        @inlinable public func finish() throws {
            count.add(local.value)
            local.value = 0
        }

        deinit { local.release() }
    }
}
