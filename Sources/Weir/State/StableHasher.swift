/// A hash function whose result is the same in every process, on every machine, in every
/// build.
///
/// Key groups are derived from it, and key groups decide which subtask owns a key's state —
/// also after a restore in another process. Swift's `Hasher` is seeded per process, so
/// `hashValue` must never be used for that.
///
/// The mixing is FNV-1a over 64-bit words followed by the MurmurHash3 64-bit finalizer, which
/// spreads consecutive integers evenly over key groups.
public struct StableHasher: Sendable {
    @usableFromInline var state: UInt64 = 0xcbf2_9ce4_8422_2325

    /// A hasher in its initial state (always the same: the hash is stable across runs).
    @inlinable
    public init() {}

    /// Mixes 64 bits into the hash.
    @inlinable
    public mutating func combine(_ word: UInt64) {
        state = (state ^ word) &* 0x0000_0100_0000_01b3
    }

    /// Mixes bytes into the hash, and their count (so that `"ab", "c"` and `"a", "bc"` differ).
    @inlinable public mutating func combine(bytes: some Sequence<UInt8>) {
        var count: UInt64 = 0
        for byte in bytes {
            state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            count &+= 1
        }
        combine(count)  // so that "ab" + "c" and "a" + "bc" differ
    }

    /// The hash of everything combined.
    @inlinable
    public func finalize() -> UInt64 {
        var h = state
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}

/// A type whose values hash the same way in every process (see ``StableHasher``).
///
/// Every key of a keyed stream must conform. Conform a struct key by combining its fields:
///
/// ```swift
/// struct SensorKey: StreamKey {
///     var site: String, sensor: Int
///     func stableHash(into hasher: inout StableHasher) {
///         site.stableHash(into: &hasher)
///         sensor.stableHash(into: &hasher)
///     }
/// }
/// ```
public protocol StableHashable {
    /// Combines the value's parts into `hasher`, the same way in every process (no random seed).
    func stableHash(into hasher: inout StableHasher)
}

extension StableHashable {
    /// The finalized stable hash of this value alone.
    @inlinable public var stableHashValue: UInt64 {
        var hasher = StableHasher()
        stableHash(into: &hasher)
        return hasher.finalize()
    }
}

/// What a key of a keyed stream must be: hashable for lookups, stably hashable for key groups,
/// codable for checkpoints, sendable to cross tasks.
public typealias StreamKey = Hashable & StableHashable & Codable & Sendable

extension Int: StableHashable {
    /// Combines the value as 64 bits (the same hash on every platform and run).
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(UInt64(bitPattern: Int64(self))) }
}
extension Int64: StableHashable {
    /// Combines the value's 64 bits.
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(UInt64(bitPattern: self)) }
}
extension Int32: StableHashable {
    /// Combines the value widened to 64 bits.
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(UInt64(bitPattern: Int64(self))) }
}
extension UInt64: StableHashable {
    /// Combines the value's 64 bits.
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(self) }
}
extension UInt32: StableHashable {
    /// Combines the value widened to 64 bits.
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(UInt64(self)) }
}
extension UInt: StableHashable {
    /// Combines the value as 64 bits.
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(UInt64(self)) }
}
extension Bool: StableHashable {
    /// Combines 1 for `true`, 0 for `false`.
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(self ? 1 : 0) }
}
extension String: StableHashable {
    /// Combines the string's UTF-8 bytes and their count.
    @inlinable public func stableHash(into hasher: inout StableHasher) { hasher.combine(bytes: utf8) }
}
extension Optional: StableHashable where Wrapped: StableHashable {
    /// Combines whether a value is present, and the value.
    @inlinable public func stableHash(into hasher: inout StableHasher) {
        switch self {
        case .none: hasher.combine(0)
        case .some(let wrapped):
            hasher.combine(1)
            wrapped.stableHash(into: &hasher)
        }
    }
}
