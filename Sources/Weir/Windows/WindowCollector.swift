/// Receives the results of a process window function; they carry the window's
/// ``TimeWindow/maxTimestamp`` as timestamp.
public final class WindowCollector<Value: Sendable> {
    private let output: Output<Value>
    let timestamp: Int64

    init(output: Output<Value>, timestamp: Int64) {
        self.output = output
        self.timestamp = timestamp
    }

    public func collect(_ value: Value) throws { try output.emit(value, timestamp: timestamp) }
}
