/// Receives the results of a process window function; they carry the window's
/// ``TimeWindow/maxTimestamp`` as timestamp.
public final class WindowCollector<Value: Sendable> {
    @usableFromInline let output: Output<Value>
    @usableFromInline let timestamp: Int64

    @inlinable init(output: Output<Value>, timestamp: Int64) {
        self.output = output
        self.timestamp = timestamp
    }

    /// Emits `value` downstream, at the window's max timestamp.
    @inlinable public func collect(_ value: Value) throws { try output.emit(value, timestamp: timestamp) }
}
