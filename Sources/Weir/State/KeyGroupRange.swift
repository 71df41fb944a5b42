/// A contiguous range of key groups owned by one parallel subtask of a keyed operator.
///
/// Keyed state is partitioned into `maxParallelism` key groups; a subtask owns a contiguous
/// range of them. Restoring with a different parallelism only reassigns whole key groups, which
/// is what makes rescaling possible without rehashing state.
public struct KeyGroupRange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// First key group, inclusive.
    public var start: Int
    /// Last key group, inclusive (`end < start` for an empty range).
    public var end: Int

    /// The key groups `start...end` (empty if `end < start`).
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// How many key groups the range holds.
    public var count: Int { Swift.max(0, end - start + 1) }
    /// Whether `keyGroup` is in the range.
    public func contains(_ keyGroup: Int) -> Bool { keyGroup >= start && keyGroup <= end }

    /// Whether the two ranges share a key group.
    public func overlaps(_ other: KeyGroupRange) -> Bool { count > 0 && other.count > 0 && start <= other.end && other.start <= end }

    /// The key groups in both ranges (empty if none).
    public func intersection(_ other: KeyGroupRange) -> KeyGroupRange {
        KeyGroupRange(start: Swift.max(start, other.start), end: Swift.min(end, other.end))
    }

    /// `key groups 0...63`.
    public var description: String { "key groups \(start)...\(end)" }

    /// The key group of a key: its stable hash modulo `maxParallelism`.
    @inlinable public static func keyGroup<K: StableHashable>(of key: K, maxParallelism: Int) -> Int {
        Int(truncatingIfNeeded: key.stableHashValue % UInt64(maxParallelism))
    }

    /// The range of key groups that subtask `subtask` of `parallelism` owns.
    ///
    /// The ranges of all subtasks are disjoint, contiguous, in subtask order, and cover
    /// `0..<maxParallelism`; their sizes differ by at most one.
    public static func forSubtask(_ subtask: Int, parallelism: Int, maxParallelism: Int) -> KeyGroupRange {
        precondition(parallelism > 0 && parallelism <= maxParallelism, "parallelism \(parallelism) must be in 1...\(maxParallelism)")
        precondition(subtask >= 0 && subtask < parallelism)
        let start = (subtask * maxParallelism + parallelism - 1) / parallelism
        let end = ((subtask + 1) * maxParallelism - 1) / parallelism
        return KeyGroupRange(start: start, end: end)
    }

    /// The subtask that owns `keyGroup`; the inverse of ``forSubtask(_:parallelism:maxParallelism:)``.
    @inlinable
    public static func subtask(owning keyGroup: Int, parallelism: Int, maxParallelism: Int) -> Int {
        keyGroup * parallelism / maxParallelism
    }
}
