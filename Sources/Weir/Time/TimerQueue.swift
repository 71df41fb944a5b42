import HeapModule

/// A timer of a keyed operator: fire at `timestamp` for `key` in `namespace` (a window, or
/// ``NoNamespace`` for a process function).
@usableFromInline struct Timer<Key: StreamKey, Namespace: Hashable & Codable & Sendable>: Hashable, Comparable, Sendable, Codable {
    @usableFromInline var timestamp: Int64
    @usableFromInline var key: Key
    @usableFromInline var namespace: Namespace

    @inlinable static func < (lhs: Self, rhs: Self) -> Bool { lhs.timestamp < rhs.timestamp }

    @inlinable init(timestamp: Int64, key: Key, namespace: Namespace) {
        self.timestamp = timestamp
        self.key = key
        self.namespace = namespace
    }

    // By position, like state entries: written for every timer at every checkpoint.
    @inlinable init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        timestamp = try container.decode(Int64.self)
        key = try container.decode(Key.self)
        namespace = try container.decode(Namespace.self)
    }

    @inlinable func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(timestamp)
        try container.encode(key)
        try container.encode(namespace)
    }
}

/// The namespace of timers that belong to no window.
public struct NoNamespace: Hashable, Codable, Sendable {
    /// The namespace.
    @inlinable public init() {}
}

/// Timers of one time domain, ordered by time, each registered at most once
/// (registering the same timer again is a no-op; deleting one that fires never is fine).
@usableFromInline final class TimerQueue<Key: StreamKey, Namespace: Hashable & Codable & Sendable> {
    @usableFromInline init() {}
    @usableFromInline let heap = TaskConfined<Heap<Timer<Key, Namespace>>>(Heap<Timer<Key, Namespace>>())
    @usableFromInline let registered = TaskConfined<Set<Timer<Key, Namespace>>>(Set<Timer<Key, Namespace>>())

    @inlinable func register(_ timer: Timer<Key, Namespace>) {
        if registered.value.insert(timer).inserted { heap.value.insert(timer) }
    }

    @inlinable func delete(_ timer: Timer<Key, Namespace>) { registered.value.remove(timer) }

    /// Removes and returns the earliest timer due at `time`, if any. Deleted timers are
    /// skipped lazily here.
    @inlinable func popDue(at time: Int64) -> Timer<Key, Namespace>? {
        while let earliest = heap.value.min, earliest.timestamp <= time {
            heap.value.removeMin()
            if registered.value.remove(earliest) != nil { return earliest }
        }
        return nil
    }

    @inlinable var nextTimestamp: Int64? {
        while let earliest = heap.value.min {
            if registered.value.contains(earliest) { return earliest.timestamp }
            heap.value.removeMin()
        }
        return nil
    }

    @inlinable var count: Int { registered.value.count }

    /// A copy of the registered timers (copy-on-write: O(1) on the task thread).
    @inlinable func snapshot(maxParallelism: Int) -> TimerQueueSnapshot<Key, Namespace> {
        TimerQueueSnapshot(timers: registered.value, maxParallelism: maxParallelism)
    }

    /// Registers the timers of a checkpoint.
    @inlinable func restore(_ blobs: [KeyGroupBlob]) throws {
        let decoder = BinaryStateDecoder()
        for blob in blobs {
            for timer in try decoder.decode([Timer<Key, Namespace>].self, from: blob.bytes) { register(timer) }
        }
    }

    deinit { heap.release(); registered.release() }
}

/// The timers of an operator in a snapshot, stored by their key's key group.
@usableFromInline struct TimerQueueSnapshot<Key: StreamKey, Namespace: Hashable & Codable & Sendable>: KeyedStateTableSnapshot {
    @usableFromInline init(timers: Set<Timer<Key, Namespace>>, maxParallelism: Int) { self.timers = timers; self.maxParallelism = maxParallelism }
    @usableFromInline let timers: Set<Timer<Key, Namespace>>
    @usableFromInline let maxParallelism: Int

    @inlinable var entryCount: Int { timers.count }

    @inlinable func serializeKeyGroups() throws -> [KeyGroupBlob] {
        var byGroup: [Int: [Timer<Key, Namespace>]] = [:]
        for timer in timers { byGroup[KeyPosition(of: timer.key, maxParallelism: maxParallelism).keyGroup, default: []].append(timer) }
        let encoder = BinaryStateEncoder()
        return try byGroup.sorted { $0.key < $1.key }.map { KeyGroupBlob(keyGroup: $0.key, bytes: try encoder.encode($0.value)) }
    }
}
