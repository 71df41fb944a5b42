/// A key together with its stable hash, as state tables store it.
///
/// The stable hash is computed once per record anyway (it gives the key group); storing it
/// lets dictionary lookups reuse it instead of running SipHash over the key again, which was a
/// quarter of the window operator's time. The hash is re-mixed with the dictionary's
/// per-process seed: every key of one key group shares `hash % maxParallelism`, so the raw
/// low bits would collide in the dictionary's buckets.
@usableFromInline struct HashedKey<Key: Hashable>: Hashable {
    @usableFromInline let key: Key
    @usableFromInline let hash: UInt64

    @inline(__always)
    @inlinable init(_ key: Key, hash: UInt64) {
        self.key = key
        self.hash = hash
    }

    @inline(__always)
    @inlinable static func == (lhs: HashedKey, rhs: HashedKey) -> Bool { lhs.hash == rhs.hash && lhs.key == rhs.key }

    @inlinable func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    @inline(__always)
    @inlinable func _rawHashValue(seed: Int) -> Int {
        var h = hash ^ (UInt64(bitPattern: Int64(seed)) &* 0x9e37_79b9_7f4a_7c15)
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }
}

extension HashedKey: Sendable where Key: Sendable {}
