import HeapModule

/// A timer of a keyed operator: fire at `timestamp` for `key` in `namespace` (a window, or
/// ``NoNamespace`` for a process function).
struct Timer<Key: StreamKey, Namespace: Hashable & Codable & Sendable>: Hashable, Comparable, Sendable, Codable {
    var timestamp: Int64
    var key: Key
    var namespace: Namespace

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.timestamp < rhs.timestamp }

    init(timestamp: Int64, key: Key, namespace: Namespace) {
        self.timestamp = timestamp
        self.key = key
        self.namespace = namespace
    }

    // By position, like state entries: written for every timer at every checkpoint.
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        timestamp = try container.decode(Int64.self)
        key = try container.decode(Key.self)
        namespace = try container.decode(Namespace.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(timestamp)
        try container.encode(key)
        try container.encode(namespace)
    }
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

    /// A copy of the registered timers (copy-on-write: O(1) on the task thread).
    func snapshot(maxParallelism: Int) -> TimerQueueSnapshot<Key, Namespace> {
        TimerQueueSnapshot(timers: registered, maxParallelism: maxParallelism)
    }

    /// Registers the timers of a checkpoint.
    func restore(_ blobs: [KeyGroupBlob]) throws {
        let decoder = BinaryStateDecoder()
        for blob in blobs {
            for timer in try decoder.decode([Timer<Key, Namespace>].self, from: blob.bytes) { register(timer) }
        }
    }
}

/// The timers of an operator in a snapshot, stored by their key's key group.
struct TimerQueueSnapshot<Key: StreamKey, Namespace: Hashable & Codable & Sendable>: KeyedStateTableSnapshot {
    let timers: Set<Timer<Key, Namespace>>
    let maxParallelism: Int

    var entryCount: Int { timers.count }

    func serializeKeyGroups() throws -> [KeyGroupBlob] {
        var byGroup: [Int: [Timer<Key, Namespace>]] = [:]
        for timer in timers { byGroup[KeyPosition(of: timer.key, maxParallelism: maxParallelism).keyGroup, default: []].append(timer) }
        let encoder = BinaryStateEncoder()
        return try byGroup.sorted { $0.key < $1.key }.map { KeyGroupBlob(keyGroup: $0.key, bytes: try encoder.encode($0.value)) }
    }
}
