/// A window of event time, `[start, end)` in milliseconds.
public struct TimeWindow: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The first millisecond in the window.
    public var start: Int64
    /// The first millisecond after the window (the end is exclusive).
    public var end: Int64

    /// The window `[start, end)`.
    @inlinable
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// The largest timestamp that belongs to the window; results carry it as their timestamp
    /// and the window fires when the watermark reaches it.
    @inlinable
    public var maxTimestamp: Int64 { end - 1 }

    /// Whether the windows overlap or touch (session windows that do are merged).
    public func intersects(_ other: TimeWindow) -> Bool { start <= other.end && end >= other.start }

    /// The smallest window that contains both.
    public func cover(_ other: TimeWindow) -> TimeWindow {
        TimeWindow(start: min(start, other.start), end: max(end, other.end))
    }

    /// `[start, end)`.
    public var description: String { "[\(start), \(end))" }
}

extension TimeWindow {
    /// When a window operator drops the window's state: `lateness` after its max timestamp
    /// (saturating), the last moment a late record may still change it.
    @inline(__always)
    @inlinable func cleanupTime(lateness: Int64) -> Int64 {
        let (sum, overflow) = maxTimestamp.addingReportingOverflow(lateness)
        return overflow ? Int64.max : sum
    }
}
