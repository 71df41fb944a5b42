import HeapModule

/// A timer of a keyed operator: fire at `timestamp` for `key` in `namespace` (a window, or
/// ``NoNamespace`` for a process function).
struct Timer<Key: StreamKey, Namespace: Hashable & Codable & Sendable>: Hashable, Comparable, Sendable {
    var timestamp: Int64
    var key: Key
    var namespace: Namespace

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.timestamp < rhs.timestamp }
}

/// The namespace of timers that belong to no window.
public struct NoNamespace: Hashable, Codable, Sendable {}

/// Timers of one time domain, ordered by time, each registered at most once
/// (registering the same timer again is a no-op; deleting one that fires never is fine).
final class TimerQueue<Key: StreamKey, Namespace: Hashable & Codable & Sendable> {
    private var heap = Heap<Timer<Key, Namespace>>()
    private var registered = Set<Timer<Key, Namespace>>()

    func register(_ timer: Timer<Key, Namespace>) {
        if registered.insert(timer).inserted { heap.insert(timer) }
    }

    func delete(_ timer: Timer<Key, Namespace>) { registered.remove(timer) }

    /// Removes and returns the earliest timer due at `time`, if any. Deleted timers are
    /// skipped lazily here.
    func popDue(at time: Int64) -> Timer<Key, Namespace>? {
        while let earliest = heap.min, earliest.timestamp <= time {
            heap.removeMin()
            if registered.remove(earliest) != nil { return earliest }
        }
        return nil
    }

    var nextTimestamp: Int64? {
        while let earliest = heap.min {
            if registered.contains(earliest) { return earliest.timestamp }
            heap.removeMin()
        }
        return nil
    }

    var count: Int { registered.count }
}
