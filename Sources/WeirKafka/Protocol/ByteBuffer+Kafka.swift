import NIOCore

/// The Kafka protocol's primitive types, big-endian, on NIO's `ByteBuffer`.
///
/// Readers throw ``KafkaProtocolError/truncated(_:)`` instead of returning `nil`, so that a
/// response that ends early names what was being read.
extension ByteBuffer {
    // MARK: Fixed-width integers

    @inlinable
    mutating func readKafka<T: FixedWidthInteger>(_ what: @autoclosure () -> String, as _: T.Type = T.self) throws -> T {
        guard let value = readInteger(as: T.self) else { throw KafkaProtocolError.truncated(what()) }
        return value
    }

    // MARK: Variable-length integers (record batches v2 and flexible versions)

    /// Unsigned LEB128, at most 5 bytes.
    @inlinable
    mutating func writeUnsignedVarint(_ value: UInt32) { writeLEB128(value) }

    @inlinable
    mutating func readUnsignedVarint(_ what: @autoclosure () -> String) throws -> UInt32 {
        try readLEB128(UInt32.self, name: "varint", what())
    }

    /// Unsigned LEB128, at most 10 bytes.
    @inlinable
    mutating func writeUnsignedVarlong(_ value: UInt64) { writeLEB128(value) }

    @inlinable
    mutating func readUnsignedVarlong(_ what: @autoclosure () -> String) throws -> UInt64 {
        try readLEB128(UInt64.self, name: "varlong", what())
    }

    /// Seven bits per byte, low bits first; the high bit says another byte follows.
    @inlinable
    mutating func writeLEB128<T: UnsignedInteger & FixedWidthInteger>(_ value: T) {
        var remaining = value
        while remaining >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        writeInteger(UInt8(remaining))
    }

    /// Reads what ``writeLEB128(_:)`` wrote; bits beyond `T`'s width are malformed, not dropped.
    @inlinable
    mutating func readLEB128<T: UnsignedInteger & FixedWidthInteger>(_: T.Type, name: String, _ what: @autoclosure () -> String) throws -> T {
        var result: T = 0
        var shift = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw KafkaProtocolError.truncated(what()) }
            let payload = T(byte & 0x7F)
            // The last byte that fits may only carry the bits that are left.
            guard shift < T.bitWidth, shift + 7 <= T.bitWidth || payload >> (T.bitWidth - shift) == 0 else {
                throw KafkaProtocolError.malformed("\(name) longer than \(T.bitWidth) bits in \(what())")
            }
            result |= payload << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Zig-zag encoded signed varint (32 bits).
    @inlinable
    mutating func writeVarint(_ value: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    @inlinable
    mutating func readVarint(_ what: @autoclosure () -> String) throws -> Int32 {
        let raw = try readUnsignedVarint(what())
        return Int32(bitPattern: raw >> 1) ^ -Int32(bitPattern: raw & 1)
    }

    /// Zig-zag encoded signed varlong (64 bits).
    @inlinable
    mutating func writeVarlong(_ value: Int64) {
        writeUnsignedVarlong(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inlinable
    mutating func readVarlong(_ what: @autoclosure () -> String) throws -> Int64 {
        let raw = try readUnsignedVarlong(what())
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    // MARK: Strings and bytes

    /// `STRING` / `NULLABLE_STRING`: int16 length (-1 for null), UTF-8.
    mutating func writeKafkaString(_ string: String?) {
        guard let string else {
            writeInteger(Int16(-1))
            return
        }
        writeInteger(Int16(string.utf8.count))
        writeString(string)
    }

    mutating func readKafkaString(_ what: @autoclosure () -> String) throws -> String? {
        let length: Int16 = try readKafka(what())
        guard length >= 0 else { return nil }
        guard let string = readString(length: Int(length)) else { throw KafkaProtocolError.truncated(what()) }
        return string
    }

    /// `COMPACT_STRING` / `COMPACT_NULLABLE_STRING`: unsigned varint length + 1 (0 for null).
    mutating func writeCompactString(_ string: String?) {
        guard let string else {
            writeUnsignedVarint(0)
            return
        }
        writeUnsignedVarint(UInt32(string.utf8.count + 1))
        writeString(string)
    }

    mutating func readCompactString(_ what: @autoclosure () -> String) throws -> String? {
        let length = try readUnsignedVarint(what())
        guard length > 0 else { return nil }
        guard let string = readString(length: Int(length - 1)) else { throw KafkaProtocolError.truncated(what()) }
        return string
    }

    /// `BYTES` / `NULLABLE_BYTES`: int32 length (-1 for null).
    mutating func writeKafkaBytes(_ bytes: ByteBuffer?) {
        guard var bytes else {
            writeInteger(Int32(-1))
            return
        }
        writeInteger(Int32(bytes.readableBytes))
        writeBuffer(&bytes)
    }

    mutating func readKafkaBytes(_ what: @autoclosure () -> String) throws -> ByteBuffer? {
        let length: Int32 = try readKafka(what())
        guard length >= 0 else { return nil }
        guard let bytes = readSlice(length: Int(length)) else { throw KafkaProtocolError.truncated(what()) }
        return bytes
    }

    // MARK: Arrays and tagged fields

    /// `ARRAY` length: int32 (-1 for null, read as empty).
    mutating func readArrayCount(_ what: @autoclosure () -> String) throws -> Int {
        let count: Int32 = try readKafka(what())
        guard count <= readableBytes else { throw KafkaProtocolError.malformed("array of \(count) elements in \(readableBytes) bytes (\(what()))") }
        return max(0, Int(count))
    }

    /// `COMPACT_ARRAY` length: unsigned varint count + 1 (0 for null, read as empty).
    mutating func readCompactArrayCount(_ what: @autoclosure () -> String) throws -> Int {
        let count = Int(try readUnsignedVarint(what())) - 1
        guard count <= readableBytes else { throw KafkaProtocolError.malformed("array of \(count) elements in \(readableBytes) bytes (\(what()))") }
        return max(0, count)
    }

    mutating func writeCompactArrayCount(_ count: Int) {
        writeUnsignedVarint(UInt32(count + 1))
    }

    /// Flexible versions end every structure with tagged fields; this client sends none.
    mutating func writeEmptyTaggedFields() {
        writeUnsignedVarint(0)
    }

    /// Skips the tagged fields this client does not use.
    mutating func skipTaggedFields(_ what: @autoclosure () -> String) throws {
        let count = try readUnsignedVarint(what())
        for _ in 0..<count {
            _ = try readUnsignedVarint(what())  // tag
            let size = try readUnsignedVarint(what())
            guard readSlice(length: Int(size)) != nil else { throw KafkaProtocolError.truncated(what()) }
        }
    }
}

/// Encoded sizes, for length prefixes that must be written before what they measure.
enum VarintSize {
    static func unsigned(_ value: UInt64) -> Int {
        var size = 1
        var remaining = value >> 7
        while remaining != 0 {
            size += 1
            remaining >>= 7
        }
        return size
    }

    static func signed(_ value: Int64) -> Int {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}

extension ByteBuffer {
    /// Requests list partitions by topic: an array of topics, each with its name and an array of
    /// its items, in the order the items came.
    mutating func writeGroupedByTopic<Item>(_ items: [Item], topic: (Item) -> String, _ writeItem: (inout ByteBuffer, Item) -> Void) {
        var order: [String] = []
        var groups: [String: [Item]] = [:]
        for item in items {
            let name = topic(item)
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append(item)
        }
        writeInteger(Int32(order.count))
        for name in order {
            writeKafkaString(name)
            let group = groups[name]!
            writeInteger(Int32(group.count))
            for item in group { writeItem(&self, item) }
        }
    }
}
