/// Event-time progress: the assertion that no record with a timestamp at or before
/// `timestamp` is expected any more.
///
/// Watermarks travel in band with the records. A task with several input channels takes the
/// minimum over the channels that are still active (not idle, not finished).
public struct Watermark: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Event time in milliseconds: no record with an earlier or equal timestamp is expected after this watermark.
    public var timestamp: Int64

    /// The watermark at `timestamp`.
    @inlinable
    public init(_ timestamp: Int64) { self.timestamp = timestamp }

    /// Before any watermark has arrived.
    public static let initial = Watermark(Int64.min)
    /// End of event time: emitted when a bounded input is exhausted so that every window fires.
    public static let endOfTime = Watermark(Int64.max)

    /// Ordered by timestamp.
    public static func < (lhs: Watermark, rhs: Watermark) -> Bool { lhs.timestamp < rhs.timestamp }

    /// `Watermark(<timestamp>)`, `Watermark(initial)` or `Watermark(end of time)`.
    public var description: String {
        switch timestamp {
        case Int64.min: return "Watermark(initial)"
        case Int64.max: return "Watermark(end of time)"
        default: return "Watermark(\(timestamp))"
        }
    }
}
