import HeapModule

/// The timers of a ``TimerQueue`` kept in a disk-backed backend's ``KeyedStateColumn`` instead
/// of memory, so that a window job's memory does not grow with its open windows, and an
/// incremental checkpoint carries the timers in the backend's files with the rest of the state.
///
/// Layout: a timer's column key is its timestamp (8 bytes, big-endian, sign bit flipped, so that
/// byte order is time order, negative times included) followed by the ``BinaryStateEncoder``
/// bytes of its key and namespace; the value is empty. A key group's timers are therefore one
/// ordered range, read earliest first with ``KeyedStateColumn/scan(keyGroup:from:_:)``.
///
/// Memory holds only per key group a *floor* (no timer of the group is earlier; the group's
/// first timestamp once read) in a heap ordered by time, so that a watermark reads only the
/// groups with due timers; registrations and deletions waiting for one batched write; and the
/// timers read and deleted from the column but not yet handed out (at most one batch per key
/// group scanned, and none once ``popDue(at:)`` has returned `nil`). Flink's RocksDB timer
/// service keeps a per-key-group head cache for the same reason: every read of a group's
/// first timer would otherwise seek past the deletions of the timers fired before it; here the
/// scan starts at the floor, above them.
@usableFromInline final class ColumnBackedTimers<Key: StreamKey, Namespace: Hashable & Codable & Sendable> {
    @usableFromInline typealias Entry = Timer<Key, Namespace>

    /// A key group's floor in the heap of floors (stale once the group's floor changed).
    @usableFromInline struct Floor: Comparable {
        @usableFromInline var timestamp: Int64
        @usableFromInline var keyGroup: Int

        @inlinable init(timestamp: Int64, keyGroup: Int) {
            self.timestamp = timestamp
            self.keyGroup = keyGroup
        }

        @inlinable static func < (lhs: Self, rhs: Self) -> Bool { lhs.timestamp < rhs.timestamp }
    }

    /// The key and namespace of a timer after its timestamp, by position.
    @usableFromInline struct Tail: Codable {
        @usableFromInline var key: Key
        @usableFromInline var namespace: Namespace

        @inlinable init(key: Key, namespace: Namespace) {
            self.key = key
            self.namespace = namespace
        }

        @inlinable init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            key = try container.decode(Key.self)
            namespace = try container.decode(Namespace.self)
        }

        @inlinable func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(key)
            try container.encode(namespace)
        }
    }

    /// Writes buffered before one column write; also the most timers read from a key group at once.
    @usableFromInline static var batch: Int { 1_024 }

    @usableFromInline let name: String
    @usableFromInline let column: any KeyedStateColumn
    @usableFromInline let keyGroups: KeyGroupRange
    @usableFromInline let maxParallelism: Int
    @usableFromInline var floors: [Int: Int64] = [:]
    @usableFromInline var floorHeap = Heap<Floor>()
    @usableFromInline var pending: [KeyedStateColumnWrite] = []
    /// Timers read and deleted from the column, in time order, not handed out yet.
    @usableFromInline var due = Heap<Entry>()
    /// Which of `due` are still registered (a deletion or a hand-out removes one).
    @usableFromInline var dueTimers = Set<Entry>()

    @inlinable init(name: String, column: any KeyedStateColumn, keyGroups: KeyGroupRange, maxParallelism: Int) {
        self.name = name
        self.column = column
        self.keyGroups = keyGroups
        self.maxParallelism = maxParallelism
    }

    @inlinable func register(_ timer: Entry) {
        if dueTimers.contains(timer) { return }
        let keyGroup = KeyPosition(of: timer.key, maxParallelism: maxParallelism).keyGroup
        pending.append(KeyedStateColumnWrite(keyGroup: keyGroup, key: encode(timer), value: []))
        lowerFloor(of: keyGroup, to: timer.timestamp)
        if pending.count >= Self.batch { flush() }
    }

    @inlinable func delete(_ timer: Entry) {
        if dueTimers.remove(timer) != nil { return }
        let keyGroup = KeyPosition(of: timer.key, maxParallelism: maxParallelism).keyGroup
        pending.append(KeyedStateColumnWrite(keyGroup: keyGroup, key: encode(timer), value: nil))
        if pending.count >= Self.batch { flush() }
    }

    /// The earliest timer due at `time`, removed; `nil` when none is (then nothing is held in
    /// memory but floors). Timers come in time order across key groups, as from the heap queue.
    @inlinable func popDue(at time: Int64) -> Entry? {
        while true {
            dropStaleFloors()
            if let next = due.min, next.timestamp <= time, floorHeap.min.map({ next.timestamp <= $0.timestamp }) ?? true {
                due.removeMin()
                if dueTimers.remove(next) != nil { return next }
                continue
            }
            guard let floor = floorHeap.min, floor.timestamp <= time else { return nil }
            floorHeap.removeMin()
            readDue(keyGroup: floor.keyGroup, from: floor.timestamp, upTo: time)
        }
    }

    /// The time of the earliest timer (key groups' floors refined to their first timer).
    @inlinable var nextTimestamp: Int64? {
        while true {
            dropStaleFloors()
            while let next = due.min, !dueTimers.contains(next) { due.removeMin() }
            guard let floor = floorHeap.min else { return due.min?.timestamp }
            if let next = due.min, next.timestamp <= floor.timestamp { return next.timestamp }
            floorHeap.removeMin()
            let first = firstTimestamp(of: floor.keyGroup, from: floor.timestamp)
            floors[floor.keyGroup] = first
            if let first {
                floorHeap.insert(Floor(timestamp: first, keyGroup: floor.keyGroup))
                if first == floor.timestamp { return first }
            }
        }
    }

    /// Every registered timer (reads the whole column: for tests and inspection).
    @inlinable var count: Int {
        flush()
        var count = dueTimers.count
        for keyGroup in keyGroups.start...keyGroups.end {
            do { try column.forEach(keyGroup: keyGroup) { _, _ in count += 1 } } catch { fail(error) }
        }
        return count
    }

    /// Puts back the timers read but not handed out and writes what is buffered: the column
    /// then holds every registered timer (before a checkpoint of it).
    @inlinable func writeBack() {
        for timer in dueTimers {
            let keyGroup = KeyPosition(of: timer.key, maxParallelism: maxParallelism).keyGroup
            pending.append(KeyedStateColumnWrite(keyGroup: keyGroup, key: encode(timer), value: []))
            lowerFloor(of: keyGroup, to: timer.timestamp)
        }
        due = Heap()
        dueTimers = []
        flush()
    }

    /// The timers at this moment, for a full checkpoint (in the heap queue's format).
    @inlinable func snapshot() -> ColumnTimersSnapshot<Key, Namespace> {
        writeBack()
        do {
            return ColumnTimersSnapshot(keyGroups: keyGroups, column: try column.snapshot())
        } catch {
            fail(error)
        }
    }

    /// Registers the timers of a full checkpoint (either backend's format).
    @inlinable func restore(_ blobs: [KeyGroupBlob]) throws {
        let decoder = BinaryStateDecoder()
        for blob in blobs {
            guard keyGroups.contains(blob.keyGroup) else { throw StateError.keyGroupNotOwned(keyGroup: blob.keyGroup, owned: keyGroups) }
            for timer in try decoder.decode([Entry].self, from: blob.bytes) { register(timer) }
        }
        flush()
    }

    /// Finds the timers the column already holds (restored from the backend's own files): one
    /// seek per key group the subtask owns.
    @inlinable func findRestoredTimers() {
        for keyGroup in keyGroups.start...keyGroups.end {
            if let first = firstTimestamp(of: keyGroup, from: .min) { lowerFloor(of: keyGroup, to: first) }
        }
    }

    // MARK: - Column access

    @inlinable func lowerFloor(of keyGroup: Int, to timestamp: Int64) {
        if let floor = floors[keyGroup], floor <= timestamp { return }
        floors[keyGroup] = timestamp
        floorHeap.insert(Floor(timestamp: timestamp, keyGroup: keyGroup))
    }

    @inlinable func dropStaleFloors() {
        while let floor = floorHeap.min, floors[floor.keyGroup] != floor.timestamp { floorHeap.removeMin() }
    }

    /// Moves up to a batch of `keyGroup`'s timers due at `time` from the column into `due`, and
    /// sets the group's floor to the first one left.
    @inlinable func readDue(keyGroup: Int, from floor: Int64, upTo time: Int64) {
        flush()
        var read: [Entry] = []
        var keys: [[UInt8]] = []
        var next: Int64?
        do {
            let decoder = BinaryStateDecoder()
            try column.scan(keyGroup: keyGroup, from: Self.timestampBytes(floor)) { key, _ in
                let timestamp = try Self.timestamp(of: key)
                if timestamp > time || read.count == Self.batch {
                    next = timestamp
                    return false
                }
                let tail = try decoder.decode(Tail.self, from: key.dropFirst(8))
                read.append(Entry(timestamp: timestamp, key: tail.key, namespace: tail.namespace))
                keys.append(Array(key))
                return true
            }
            if !keys.isEmpty { try column.write(keys.map { KeyedStateColumnWrite(keyGroup: keyGroup, key: $0, value: nil) }) }
        } catch {
            fail(error)
        }
        for timer in read where dueTimers.insert(timer).inserted { due.insert(timer) }
        floors[keyGroup] = next
        if let next { floorHeap.insert(Floor(timestamp: next, keyGroup: keyGroup)) }
    }

    @inlinable func firstTimestamp(of keyGroup: Int, from floor: Int64) -> Int64? {
        flush()
        var first: Int64?
        do {
            try column.scan(keyGroup: keyGroup, from: Self.timestampBytes(floor)) { key, _ in
                first = try Self.timestamp(of: key)
                return false
            }
        } catch {
            fail(error)
        }
        return first
    }

    @inlinable func flush() {
        guard !pending.isEmpty else { return }
        do { try column.write(pending) } catch { fail(error) }
        pending.removeAll(keepingCapacity: true)
    }

    @inlinable func encode(_ timer: Entry) -> [UInt8] {
        var bytes = Self.timestampBytes(timer.timestamp)
        do {
            bytes.append(contentsOf: try BinaryStateEncoder().encode(Tail(key: timer.key, namespace: timer.namespace)))
        } catch {
            fail(error)
        }
        return bytes
    }

    @inlinable static func timestampBytes(_ timestamp: Int64) -> [UInt8] {
        let ordered = UInt64(bitPattern: timestamp) ^ (1 << 63)
        return withUnsafeBytes(of: ordered.bigEndian) { Array($0) }
    }

    @inlinable static func timestamp(of key: UnsafeRawBufferPointer) throws -> Int64 {
        guard key.count >= 8 else { throw StateFormatError.corrupt("a timer entry of \(key.count) bytes has no timestamp") }
        let ordered = UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
        return Int64(bitPattern: ordered ^ (1 << 63))
    }

    /// Timer operations cannot throw (a process function registers timers in its callbacks), so
    /// a failed disk read or write stops the process, as for keyed state: the job restores its
    /// last completed checkpoint when it is started again.
    @usableFromInline func fail(_ error: any Error) -> Never { KeyedStateColumnError.stop(table: name, error) }
}

/// A snapshot of a ``ColumnBackedTimers``, serialized in the heap queue's format (a list of
/// timers per key group), so that a full checkpoint restores into either backend.
@usableFromInline struct ColumnTimersSnapshot<Key: StreamKey, Namespace: Hashable & Codable & Sendable>: KeyedStateTableSnapshot {
    @usableFromInline let keyGroups: KeyGroupRange
    @usableFromInline let column: any KeyedStateColumnSnapshot

    @inlinable init(keyGroups: KeyGroupRange, column: any KeyedStateColumnSnapshot) {
        self.keyGroups = keyGroups
        self.column = column
    }

    @inlinable var entryCount: Int { column.entryCount(in: keyGroups) }

    @inlinable func serializeKeyGroups() throws -> [KeyGroupBlob] {
        let decoder = BinaryStateDecoder()
        let encoder = BinaryStateEncoder()
        var blobs: [KeyGroupBlob] = []
        for keyGroup in keyGroups.start...keyGroups.end {
            var timers: [Timer<Key, Namespace>] = []
            try column.forEach(keyGroup: keyGroup) { key, _ in
                let tail = try decoder.decode(ColumnBackedTimers<Key, Namespace>.Tail.self, from: key.dropFirst(8))
                timers.append(Timer(timestamp: try ColumnBackedTimers<Key, Namespace>.timestamp(of: key), key: tail.key, namespace: tail.namespace))
            }
            if !timers.isEmpty { blobs.append(KeyGroupBlob(keyGroup: keyGroup, bytes: try encoder.encode(timers))) }
        }
        return blobs
    }
}
