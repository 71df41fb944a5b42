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
///
/// In memory (a heap and a set) by default; with a disk-backed state backend the operator's
/// state store moves them into a column (``ColumnBackedTimers``) when the operator registers
/// the queue (``OperatorContext/register(_:named:)``). Either way the store snapshots and
/// restores the queue with its tables, under the queue's name. The branch is one test of a
/// stored optional per call, as in ``KeyedStateTable``.
@usableFromInline final class TimerQueue<Key: StreamKey, Namespace: Hashable & Codable & Sendable> {
    @usableFromInline init() {}
    @usableFromInline let heap = TaskConfined<Heap<Timer<Key, Namespace>>>(Heap<Timer<Key, Namespace>>())
    @usableFromInline let registered = TaskConfined<Set<Timer<Key, Namespace>>>(Set<Timer<Key, Namespace>>())
    /// Where the timers live instead of `heap` and `registered` with a disk-backed backend.
    @usableFromInline var column: ColumnBackedTimers<Key, Namespace>?
    /// The job's key-group count (set when the queue is registered with a store).
    @usableFromInline var maxParallelism = 128

    @inlinable func register(_ timer: Timer<Key, Namespace>) {
        if let column { return column.register(timer) }
        if registered.value.insert(timer).inserted { heap.value.insert(timer) }
    }

    @inlinable func delete(_ timer: Timer<Key, Namespace>) {
        if let column { return column.delete(timer) }
        registered.value.remove(timer)
    }

    /// Removes and returns the earliest timer due at `time`, if any. Deleted timers are
    /// skipped lazily here.
    @inlinable func popDue(at time: Int64) -> Timer<Key, Namespace>? {
        if let column { return column.popDue(at: time) }
        while let earliest = heap.value.min, earliest.timestamp <= time {
            heap.value.removeMin()
            if registered.value.remove(earliest) != nil { return earliest }
        }
        return nil
    }

    @inlinable var nextTimestamp: Int64? {
        if let column { return column.nextTimestamp }
        while let earliest = heap.value.min {
            if registered.value.contains(earliest) { return earliest.timestamp }
            heap.value.removeMin()
        }
        return nil
    }

    @inlinable var count: Int { column?.count ?? registered.value.count }


    /// Registers the timers of a checkpoint.
    @inlinable func restore(_ blobs: [KeyGroupBlob]) throws {
        if let column { return try column.restore(blobs) }
        let decoder = BinaryStateDecoder()
        for blob in blobs {
            for timer in try decoder.decode([Timer<Key, Namespace>].self, from: blob.bytes) { register(timer) }
        }
    }

    deinit { heap.release(); registered.release() }
}

extension TimerQueue: SnapshottingTable {
    @inlinable var typeDescription: String { "timers of \(Key.self) in \(Namespace.self)" }
    /// A copy of the registered timers (in memory: copy-on-write, O(1) on the task thread).
    @inlinable func checkpointSnapshot() -> any KeyedStateTableSnapshot {
        if let column { return column.snapshot() }
        return TimerQueueSnapshot(timers: registered.value, maxParallelism: maxParallelism)
    }
    @inlinable func writeBack() { column?.writeBack() }
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
