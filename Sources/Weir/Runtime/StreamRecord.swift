/// One record in flight: the user's value and its event timestamp.
///
/// Timestamps are milliseconds since the Unix epoch (Flink's convention). A record that has no
/// event time carries ``StreamRecord/noTimestamp``.
public struct StreamRecord<Value: Sendable>: Sendable {
    /// The timestamp of a record that has no event time yet.
    @inlinable public static var noTimestamp: Int64 { Int64.min }

    /// The record's value.
    public var value: Value
    /// The event time in milliseconds, or ``noTimestamp``.
    public var timestamp: Int64

    /// A record of `value` at event time `timestamp`.
    @inlinable public init(_ value: Value, timestamp: Int64 = StreamRecord.noTimestamp) {
        self.value = value
        self.timestamp = timestamp
    }
}

extension StreamRecord: Equatable where Value: Equatable {}
