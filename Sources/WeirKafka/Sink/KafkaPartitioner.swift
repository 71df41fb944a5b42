import NIOCore

/// Chooses a record's partition the way Kafka's Java client does by default: murmur2 of the
/// key bytes, made positive, modulo the partition count — so that records written by Weir and
/// by other Kafka clients land in the same partition for the same key. Records without a key
/// go round robin.
struct KafkaPartitioner: Sendable {
    private var nextForNullKey: Int32

    init(subtask: Int) { nextForNullKey = Int32(truncatingIfNeeded: subtask) }

    mutating func partition(for key: ByteBuffer?, partitions: Int32) -> Int32 {
        guard let key else {
            defer { nextForNullKey &+= 1 }
            return (nextForNullKey & 0x7fff_ffff) % partitions
        }
        return Self.partition(ofKey: key, partitions: partitions)
    }

    /// The partition of a keyed record: murmur2 of the key, made positive, modulo the count.
    static func partition(ofKey key: ByteBuffer, partitions: Int32) -> Int32 {
        Int32(bitPattern: murmur2(key.readableBytesView) & 0x7fff_ffff) % partitions
    }

    /// MurmurHash2, 32-bit, with Kafka's seed (0x9747b28c).
    static func murmur2(_ bytes: some Collection<UInt8>) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        let data = Array(bytes)
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        var index = 0
        while index + 4 <= data.count {
            var k = UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
            k &*= m
            k ^= k >> 24
            k &*= m
            h &*= m
            h ^= k
            index += 4
        }
        let rest = data.count - index
        if rest >= 3 { h ^= UInt32(data[index + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(data[index + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(data[index])
            h &*= m
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return h
    }
}
