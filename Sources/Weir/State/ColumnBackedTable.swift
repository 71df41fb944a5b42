/// The part of a ``KeyedStateTable`` whose entries live in a disk-backed backend's
/// ``KeyedStateColumn``: it encodes keys and values, and keeps a bounded write-back cache of
/// decoded values so that a hot key is neither decoded nor written per record.
///
/// Layout in the column: the key is the key's ``BinaryStateEncoder`` bytes (deterministic for
/// the types keys are made of); the value is the table position's hash (8 bytes, little-endian,
/// which a checkpoint records so that a restore into the heap backend files the entry where
/// the operator looks for it) followed by the value's bytes.
///
/// The cache holds at most `capacity` entries. When it is full, its dirty entries go to the
/// column in one write and it starts over empty: no per-access bookkeeping, and memory bounded
/// by the capacity whatever the state's size. A snapshot first writes the dirty entries, so the
/// column's own snapshot is the table's state at the barrier.
@usableFromInline final class ColumnBackedTable<Key: StreamKey, Value: StateValue> {
    @usableFromInline struct CachedValue {
        @usableFromInline var value: Value?
        @usableFromInline var dirty: Bool
        @usableFromInline let keyGroup: Int

        @inlinable init(value: Value?, dirty: Bool, keyGroup: Int) {
            self.value = value
            self.dirty = dirty
            self.keyGroup = keyGroup
        }
    }

    @usableFromInline let name: String
    @usableFromInline let column: any KeyedStateColumn
    @usableFromInline let capacity: Int
    @usableFromInline let keyGroups: KeyGroupRange
    @usableFromInline var cache: [HashedKey<Key>: CachedValue] = [:]

    @inlinable init(name: String, column: any KeyedStateColumn, keyGroups: KeyGroupRange, capacity: Int) {
        precondition(capacity > 0, "the state cache of '\(name)' needs room for at least one entry")
        self.name = name
        self.column = column
        self.keyGroups = keyGroups
        self.capacity = capacity
    }

    @inlinable func get(_ key: Key, at position: KeyPosition) -> Value? {
        let hashed = HashedKey(key, hash: position.hash)
        if let hit = cache[hashed] { return hit.value }
        let loaded = load(key, keyGroup: position.keyGroup)
        makeRoom()
        cache[hashed] = CachedValue(value: loaded, dirty: false, keyGroup: position.keyGroup)
        return loaded
    }

    @inlinable func set(_ value: Value?, for key: Key, at position: KeyPosition) {
        let hashed = HashedKey(key, hash: position.hash)
        if cache[hashed] == nil { makeRoom() }
        cache[hashed] = CachedValue(value: value, dirty: true, keyGroup: position.keyGroup)
    }

    @inline(__always)
    @inlinable func update<R>(_ key: Key, at position: KeyPosition, _ body: (inout Value?) throws -> R) rethrows -> R {
        let hashed = HashedKey(key, hash: position.hash)
        var index = cache.index(forKey: hashed)
        if index == nil {
            let loaded = load(key, keyGroup: position.keyGroup)
            makeRoom()
            cache[hashed] = CachedValue(value: loaded, dirty: false, keyGroup: position.keyGroup)
            index = cache.index(forKey: hashed)
        }
        cache.values[index!].dirty = true
        return try body(&cache.values[index!].value)
    }

    /// Every entry, key group by key group (the cache written out first; one key group's
    /// entries are decoded at a time, so that `body`'s errors are its own).
    @inlinable func forEachEntry(_ body: (Key, Value) throws -> Void) rethrows {
        flush()
        let decoder = BinaryStateDecoder()
        for keyGroup in keyGroups.start...keyGroups.end {
            var entries: [(Key, Value)] = []
            do {
                try column.forEach(keyGroup: keyGroup) { key, value in
                    entries.append((try decoder.decode(Key.self, from: key), try decoder.decode(Value.self, from: value.dropFirst(8))))
                }
            } catch {
                fail(error)
            }
            for (key, value) in entries { try body(key, value) }
        }
    }

    @inlinable var count: Int {
        var count = 0
        forEachEntry { _, _ in count += 1 }
        return count
    }

    /// Writes the entries of a checkpoint's blob into the column as they are encoded (a key's
    /// encoding is the same whoever wrote it, so lookups find them). Keys of a blob in the first
    /// format are decoded and encoded again: that format wrote them differently.
    @inlinable func restore(_ blob: KeyGroupBlob) throws {
        var writes: [KeyedStateColumnWrite] = []
        let reencodeKeys = StoredEntryFraming.isFirstFormat(blob.bytes)
        let decoder = BinaryStateDecoder()
        let encoder = BinaryStateEncoder()
        try StoredEntryFraming.forEachEntry(in: blob.bytes) { key, hash, value in
            let key = reencodeKeys ? try encoder.encode(try decoder.decode(Key.self, from: key)) : Array(key)
            var stored: [UInt8] = []
            stored.reserveCapacity(8 + value.count)
            withUnsafeBytes(of: hash.littleEndian) { stored.append(contentsOf: $0) }
            stored.append(contentsOf: value)
            writes.append(KeyedStateColumnWrite(keyGroup: blob.keyGroup, key: key, value: stored))
            if writes.count == 4_096 {
                try column.write(writes)
                writes.removeAll(keepingCapacity: true)
            }
        }
        if !writes.isEmpty { try column.write(writes) }
        cache.removeAll()
    }

    /// The table at this moment, for a checkpoint: the dirty entries written, then the column's
    /// snapshot (its entries are decoded and re-encoded as heap blobs off the task thread).
    @inlinable func snapshot() -> ColumnTableSnapshot<Key, Value> {
        flush()
        do {
            return ColumnTableSnapshot(keyGroups: keyGroups, column: try column.snapshot())
        } catch {
            fail(error)
        }
    }

    /// Writes the dirty entries into the column.
    @inlinable func flush() {
        let encoder = BinaryStateEncoder()
        var writes: [KeyedStateColumnWrite] = []
        for index in cache.indices where cache.values[index].dirty {
            let entry = cache[index]
            do {
                let value = try entry.value.value.map { try Self.encodeValue($0, hash: entry.key.hash, encoder: encoder) }
                writes.append(KeyedStateColumnWrite(keyGroup: entry.value.keyGroup, key: try encoder.encode(entry.key.key), value: value))
            } catch {
                fail(error)
            }
            cache.values[index].dirty = false
        }
        guard !writes.isEmpty else { return }
        do { try column.write(writes) } catch { fail(error) }
    }

    @inlinable func makeRoom() {
        guard cache.count >= capacity else { return }
        flush()
        cache.removeAll(keepingCapacity: true)
    }

    @inlinable func load(_ key: Key, keyGroup: Int) -> Value? {
        do {
            guard let bytes = try column.read(keyGroup: keyGroup, key: try BinaryStateEncoder().encode(key)) else { return nil }
            return try BinaryStateDecoder().decode(Value.self, from: bytes.dropFirst(8))
        } catch {
            fail(error)
        }
    }

    @inlinable static func encodeValue(_ value: Value, hash: UInt64, encoder: BinaryStateEncoder) throws -> [UInt8] {
        try encoder.encode(value, after: hash)
    }

    /// State reads and writes cannot throw (a `ValueState`'s value is a property), so a failed
    /// disk read or write stops the process with what to do: the job restores its last
    /// completed checkpoint when it is started again.
    @usableFromInline func fail(_ error: any Error) -> Never { KeyedStateColumnError.stop(table: name, error) }
}

/// A snapshot of a ``ColumnBackedTable``: the column's point-in-time view, serialized in the
/// heap backend's format (``StoredEntry`` per key group), so that a checkpoint restores into
/// either backend and at any parallelism. The column's bytes are framed as they are
/// (``StoredEntryFraming``): nothing is decoded.
@usableFromInline struct ColumnTableSnapshot<Key: StreamKey, Value: StateValue>: KeyedStateTableSnapshot {
    @usableFromInline let keyGroups: KeyGroupRange
    @usableFromInline let column: any KeyedStateColumnSnapshot

    @inlinable init(keyGroups: KeyGroupRange, column: any KeyedStateColumnSnapshot) {
        self.keyGroups = keyGroups
        self.column = column
    }

    /// Counts by reading every entry: meant for tests and inspection, not for the checkpoint path.
    @inlinable var entryCount: Int { column.entryCount(in: keyGroups) }

    @inlinable func forEachEntry(_ body: (StoredEntry<Key, Value>) throws -> Void) throws {
        let decoder = BinaryStateDecoder()
        for keyGroup in keyGroups.start...keyGroups.end {
            try column.forEach(keyGroup: keyGroup) { key, value in
                try body(try Self.entry(key: key, value: value, decoder: decoder))
            }
        }
    }

    @inlinable func serializeKeyGroups() throws -> [KeyGroupBlob] {
        var blobs: [KeyGroupBlob] = []
        for keyGroup in keyGroups.start...keyGroups.end {
            var framing = StoredEntryFraming()
            try column.forEach(keyGroup: keyGroup) { key, value in
                framing.append(key: key, hash: try Self.hash(of: value), value: value.dropFirst(8))
            }
            if framing.count > 0 { blobs.append(KeyGroupBlob(keyGroup: keyGroup, bytes: framing.bytes)) }
        }
        return blobs
    }

    @inlinable static func hash(of value: UnsafeRawBufferPointer) throws -> UInt64 {
        guard value.count > 8 else { throw StateFormatError.corrupt("a state entry of \(value.count) bytes has no hash and value") }
        return UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
    }

    @inlinable static func entry(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, decoder: BinaryStateDecoder) throws -> StoredEntry<Key, Value> {
        StoredEntry(key: try decoder.decode(Key.self, from: key), hash: try hash(of: value), value: try decoder.decode(Value.self, from: value.dropFirst(8)))
    }
}
