/// Bytes of Weir's first state format (field names; `u32` counts and lengths; fixed-width
/// integers), written from its description rather than by the encoder, which no longer writes
/// it: what checkpoints taken before the compact format hold.
package enum FirstStateFormat {
    package static func u32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(value).littleEndian) { Array($0) } }

    /// An `Int`/`Int64` (or a `UInt64` by its bit pattern) as a primitive node.
    package static func int64(_ value: Int64) -> [UInt8] { [1] + withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    /// A keyed container of named entries.
    package static func keyed(_ entries: [(String, [UInt8])]) -> [UInt8] {
        [2] + u32(entries.count) + entries.flatMap { u32($0.0.utf8.count) + Array($0.0.utf8) + u32($0.1.count) + $0.1 }
    }

    /// An unkeyed container with a count.
    package static func unkeyed(_ elements: [[UInt8]]) -> [UInt8] { [3] + u32(elements.count) + elements.flatMap { u32($0.count) + $0 } }

    /// A key group's `[StoredEntry]` blob of `Int` keys and `Int` values, as that format wrote it.
    package static func blob(_ entries: [(key: Int, hash: UInt64, value: Int)]) -> [UInt8] {
        unkeyed(entries.map { unkeyed([int64(Int64($0.key)), int64(Int64(bitPattern: $0.hash)), int64(Int64($0.value))]) })
    }
}
