/// The arithmetic every watermark generator of Weir shares — the operator after a stream
/// (`assignTimestampsAndWatermarks`) and the per-split watermarks of sources
/// (``SplitWatermarks``): how far the watermark trails the largest event time seen, and when an
/// input without records counts as idle.
@usableFromInline struct WatermarkBound: Sendable, Hashable {
    @usableFromInline let outOfOrdernessMilliseconds: Int64
    /// `nil`: never idle.
    @usableFromInline let idleTimeoutMilliseconds: Int64?

    @inlinable init(outOfOrdernessMilliseconds: Int64, idleTimeoutMilliseconds: Int64?) {
        self.outOfOrdernessMilliseconds = outOfOrdernessMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
    }

    /// The watermark after records up to event time `largest` (`Int64.min`: none yet): no
    /// record at or before it is expected any more.
    @inlinable func watermark(afterLargest largest: Int64) -> Watermark {
        largest == Int64.min ? .initial : Watermark(largest &- outOfOrdernessMilliseconds &- 1)
    }

    /// Whether an input last active at `lastActive` is idle at `now`.
    @inlinable func isIdle(lastActive: Int64, now: Int64) -> Bool {
        guard let timeout = idleTimeoutMilliseconds else { return false }
        return now - lastActive >= timeout
    }
}
