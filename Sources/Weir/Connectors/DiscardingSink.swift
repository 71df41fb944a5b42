/// Drops every value; counts them. For benchmarks and for jobs run for their side effects.
public struct DiscardingSink<Input: Sendable>: Sink {
    /// Values received, over all subtasks.
    public let count: Counter

    @inlinable public init(count: Counter = Counter()) { self.count = count }

    @inlinable public func makeWriter(_ context: SinkContext) throws -> Writer { Writer(count: count) }

    public final class Writer: SinkWriter {
        @usableFromInline let count: Counter
        @usableFromInline var local = 0

        @inlinable init(count: Counter) { self.count = count }

        @inlinable public func write(_ value: Input, timestamp: Int64) throws {
            local &+= 1
            if local == 4_096 {
                count.add(local)
                local = 0
            }
        }

        @inlinable public func finish() throws {
            count.add(local)
            local = 0
        }
    }
}
