/// The watermark of a source reader that reads several splits (files, Kafka partitions, any
/// user split): one watermark per split, the reader's the least of them.
///
/// Why per split: a restore may deal splits to other subtasks, or one subtask may read a file
/// far behind another in event time. A single watermark after the source would follow the
/// leading split and make the lagging split's records late; per-split watermarks keep every
/// split's records on time as long as each split on its own is out of order by no more than
/// the strategy's bound. Every split-based source of Weir (``LineFileSource``, the Kafka source)
/// uses this one generator, and a user's source can too.
///
/// Rules:
/// - A split that is assigned but has brought no record yet holds the watermark at its start
///   (its restored event time, or the beginning of time): its records may be the earliest.
/// - A finished split never holds the watermark back.
/// - A split that brought nothing for the strategy's idle timeout stops holding it back until
///   it brings records again; a reader all of whose splits are idle is idle.
///
/// The largest event time seen per split is what a checkpoint keeps
/// (``maxEventTime(of:)``, ``assign(_:restoredMaxEventTime:now:)``), so that after a restore a
/// split does not start over from the beginning of time.
public struct SplitWatermarks<SplitID: Hashable & Sendable>: Sendable {
    /// How far behind its largest timestamp a split's watermark trails, and after how long
    /// without records a split stops holding the watermark back.
    @usableFromInline let bound: WatermarkBound

    @usableFromInline var maxEventTimes: [SplitID: Int64] = [:]
    @usableFromInline var lastActive: [SplitID: Int64] = [:]
    @usableFromInline var assigned: Set<SplitID> = []
    @usableFromInline var finished: Set<SplitID> = []

    /// Per-split watermarks following `strategy`'s out-of-orderness and idleness.
    @inlinable public init<Value>(strategy: WatermarkStrategy<Value>) {
        self.bound = strategy.bound
    }

    /// Starts tracking `split`; `restoredMaxEventTime` is what a checkpoint recorded for it.
    @inlinable public mutating func assign(_ split: SplitID, restoredMaxEventTime: Int64? = nil, now: Int64) {
        assigned.insert(split)
        if let restoredMaxEventTime { maxEventTimes[split] = restoredMaxEventTime }
        lastActive[split] = now
    }

    /// A record of `split` with event time `eventTime` was handed out.
    @inlinable public mutating func observe(_ eventTime: Int64, in split: SplitID) {
        if eventTime > maxEventTimes[split] ?? Int64.min { maxEventTimes[split] = eventTime }
    }

    /// `split` has records (buffered or just read) at `now`: it is not idle.
    @inlinable public mutating func markActive(_ split: SplitID, now: Int64) {
        lastActive[split] = now
    }

    /// `split` is read to its end: it no longer holds the watermark back.
    @inlinable public mutating func finish(_ split: SplitID) {
        finished.insert(split)
    }

    /// The largest event time handed out of `split` (or restored for it), for its checkpoint.
    @inlinable public func maxEventTime(of split: SplitID) -> Int64? { maxEventTimes[split] }

    /// The least watermark over the splits that hold event time back; `nil` when none does
    /// (every split finished or idle).
    @inlinable public func watermark(now: Int64) -> Watermark? {
        var least: Int64?
        for split in assigned where !finished.contains(split) && !isIdle(split, now: now) {
            guard let latest = maxEventTimes[split] else { return .initial }
            least = min(least ?? latest, latest)
        }
        guard let least else { return nil }
        return bound.watermark(afterLargest: least)
    }

    /// Every unfinished split has been idle for the timeout (and at least one is assigned).
    @inlinable public func isIdle(now: Int64) -> Bool {
        guard bound.idleTimeoutMilliseconds != nil else { return false }
        return assigned.allSatisfy { finished.contains($0) || isIdle($0, now: now) }
    }

    @inlinable func isIdle(_ split: SplitID, now: Int64) -> Bool {
        bound.isIdle(lastActive: lastActive[split] ?? now, now: now)
    }
}
