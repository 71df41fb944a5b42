/// Which event-time windows a record belongs to.
public struct WindowAssigner: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline enum Kind: Sendable, Hashable {
        case tumbling(size: Int64, offset: Int64)
        case sliding(size: Int64, slide: Int64, offset: Int64)
        case session(gap: Int64)
    }

    @usableFromInline let kind: Kind

    /// Fixed-size, non-overlapping windows `[k·size + offset, (k+1)·size + offset)`.
    public static func tumbling(size: Duration, offset: Duration = .zero) -> WindowAssigner {
        let size = size.wholeMilliseconds
        precondition(size > 0, "window size must be at least 1 ms")
        return WindowAssigner(kind: .tumbling(size: size, offset: offset.wholeMilliseconds % size))
    }

    /// Windows of `size` starting every `slide`; a record belongs to `size / slide` of them.
    public static func sliding(size: Duration, slide: Duration, offset: Duration = .zero) -> WindowAssigner {
        let size = size.wholeMilliseconds, slide = slide.wholeMilliseconds
        precondition(size > 0 && slide > 0, "window size and slide must be at least 1 ms")
        return WindowAssigner(kind: .sliding(size: size, slide: slide, offset: offset.wholeMilliseconds % slide))
    }

    /// Per-key windows of activity: records closer than `gap` to each other fall in one session.
    public static func session(gap: Duration) -> WindowAssigner {
        let gap = gap.wholeMilliseconds
        precondition(gap > 0, "session gap must be at least 1 ms")
        return WindowAssigner(kind: .session(gap: gap))
    }

    @usableFromInline var isMerging: Bool {
        if case .session = kind { return true }
        return false
    }

    /// Start of the window of length `size` (aligned to `offset`) that contains `timestamp`.
    @inline(__always)
    @usableFromInline static func windowStart(_ timestamp: Int64, size: Int64, offset: Int64) -> Int64 {
        let remainder = (timestamp - offset) % size
        return timestamp - (remainder < 0 ? remainder + size : remainder)
    }

    /// The assigner and its sizes in milliseconds, e.g. `tumbling(1000 ms)`.
    public var description: String {
        switch kind {
        case let .tumbling(size, offset): return "tumbling(\(size) ms\(offset == 0 ? "" : ", offset \(offset) ms"))"
        case let .sliding(size, slide, offset): return "sliding(\(size) ms every \(slide) ms\(offset == 0 ? "" : ", offset \(offset) ms"))"
        case let .session(gap): return "session(gap \(gap) ms)"
        }
    }
}
