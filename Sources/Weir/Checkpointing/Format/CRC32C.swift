/// CRC-32C (Castagnoli), the checksum of every checkpoint file (and of Kafka record batches).
public enum CRC32C {
    @usableFromInline static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82f6_3b78 : crc >> 1 }
        return crc
    }

    /// The checksum of `bytes`, continuing from `crc` (start with 0).
    public static func checksum(_ bytes: some Sequence<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        var value = ~crc
        table.withUnsafeBufferPointer { table in
            for byte in bytes { value = table[Int((value ^ UInt32(byte)) & 0xff)] ^ (value >> 8) }
        }
        return ~value
    }
}
