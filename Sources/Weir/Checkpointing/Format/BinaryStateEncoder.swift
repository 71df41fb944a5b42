/// Encodes `Codable` values into Weir's binary state format.
///
/// Layout (little-endian; `u32` = 4-byte length or count):
/// - a value is one node; a node starts with a tag byte:
///   - `0` nil (or a value that encoded nothing);
///   - `1` primitive: the bytes of the primitive (fixed-width integers and floats, `Bool` as one
///     byte, `String` as its UTF-8 bytes) up to the end of the node's frame;
///   - `2` keyed container: `u32` count, then per entry: key (`u32` length + UTF-8), then the
///     entry's node as `u32` length + bytes;
///   - `3` unkeyed container: `u32` count, then each element's node as `u32` length + bytes;
///   - `4` byte string (`[UInt8]`): the raw bytes up to the end of the node's frame.
///
/// Keys are written, so a struct may gain optional fields or reorder them between versions; the
/// lengths let a reader skip what it does not need.
///
/// The encoder streams into one buffer: lengths and counts are written as placeholders and
/// patched when known, so encoding allocates nothing per value (state is serialized at every
/// checkpoint, on a thread that shares the cores with the tasks).
public struct BinaryStateEncoder {
    /// An encoder (it keeps no state between values).
    public init() {}

    /// The bytes of `value`, for ``BinaryStateDecoder`` to read back.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let buffer = EncodingBuffer()
        try StreamingEncoder(buffer: buffer, depth: 0, pathNode: .root, key: nil).encodeNode(value)
        buffer.closeFrames(downTo: 0)
        return buffer.bytes
    }

    /// `prefix` (8 bytes, little-endian) followed by the bytes of `value`, in one buffer: a
    /// disk-backed table stores its entries so, the table position's hash first.
    @usableFromInline func encode<T: Encodable>(_ value: T, after prefix: UInt64) throws -> [UInt8] {
        let buffer = EncodingBuffer()
        withUnsafeBytes(of: prefix.littleEndian) { buffer.bytes.append(contentsOf: $0) }
        try StreamingEncoder(buffer: buffer, depth: 0, pathNode: .root, key: nil).encodeNode(value)
        buffer.closeFrames(downTo: 0)
        return buffer.bytes
    }
}

/// The output of one `encode` call, with the frames not yet closed.
@usableFromInline final class EncodingBuffer {
    /// Room for a small value from the start: growing from empty would reallocate three times.
    @usableFromInline var bytes: [UInt8] = { var bytes: [UInt8] = []; bytes.reserveCapacity(64); return bytes }()
    /// Offsets of the `u32` length placeholders of open frames, outermost first.
    @usableFromInline var openFrames: [Int] = []

    @inline(__always)
    @usableFromInline func appendU32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    @usableFromInline func patchU32(at offset: Int, _ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for index in 0..<4 { bytes[offset + index] = raw[index] }
        }
    }

    @usableFromInline func readU32(at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    @usableFromInline func openFrame() {
        openFrames.append(bytes.count)
        appendU32(0)
    }

    /// Closes every frame deeper than `depth`, patching in its length; a frame that received
    /// nothing becomes a nil node.
    @usableFromInline func closeFrames(downTo depth: Int) {
        while openFrames.count > depth {
            let offset = openFrames.removeLast()
            if bytes.count == offset + 4 { bytes.append(0) }
            patchU32(at: offset, UInt32(bytes.count - offset - 4))
        }
    }

    @usableFromInline func appendString(_ string: String) {
        appendU32(UInt32(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }
}

/// Where a value sits in the encoded value, built only if someone asks (rarely: errors):
/// an array per field would be an allocation per field.
@usableFromInline final class CodingPathNode: Sendable {
    @usableFromInline let parent: CodingPathNode?
    @usableFromInline let key: (any CodingKey)?

    @usableFromInline init(parent: CodingPathNode?, key: (any CodingKey)?) {
        self.parent = parent
        self.key = key
    }

    @usableFromInline static let root = CodingPathNode(parent: nil, key: nil)

    @usableFromInline var path: [any CodingKey] {
        var keys: [any CodingKey] = []
        var node: CodingPathNode? = self
        while let current = node {
            if let key = current.key { keys.append(key) }
            node = current.parent
        }
        return keys.reversed()
    }
}

/// Encodes one node at the end of the buffer. `depth` is the number of frames open around it.
/// Its path is `pathNode` + `key`: a path node is allocated only for a container the node opens,
/// not for every field.
@usableFromInline struct StreamingEncoder: Encoder {
    @usableFromInline let buffer: EncodingBuffer
    @usableFromInline let depth: Int
    @usableFromInline let pathNode: CodingPathNode
    @usableFromInline let key: (any CodingKey)?
    @usableFromInline var codingPath: [any CodingKey] { key.map { pathNode.path + [$0] } ?? pathNode.path }
    /// The path node of a container this node opens.
    @usableFromInline var containerPathNode: CodingPathNode { key.map { CodingPathNode(parent: pathNode, key: $0) } ?? pathNode }
    @usableFromInline var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Encodes `value` as this node; writes a nil node if it encoded nothing.
    @usableFromInline func encodeNode<T: Encodable>(_ value: T) throws {
        let start = buffer.bytes.count
        // By static type: a dynamic cast would also turn an empty [String] into [UInt8].
        if T.self == [UInt8].self {
            buffer.bytes.append(4)
            buffer.bytes.append(contentsOf: value as! [UInt8])
        } else {
            try value.encode(to: self)
            buffer.closeFrames(downTo: depth)
        }
        if buffer.bytes.count == start { buffer.bytes.append(0) }
    }

    @usableFromInline func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        buffer.closeFrames(downTo: depth)
        buffer.bytes.append(2)
        let countOffset = buffer.bytes.count
        buffer.appendU32(0)
        return KeyedEncodingContainer(StreamingKeyedEncoder<Key>(buffer: buffer, depth: depth, countOffset: countOffset, pathNode: containerPathNode))
    }

    @usableFromInline func unkeyedContainer() -> any UnkeyedEncodingContainer {
        buffer.closeFrames(downTo: depth)
        buffer.bytes.append(3)
        let countOffset = buffer.bytes.count
        buffer.appendU32(0)
        return StreamingUnkeyedEncoder(buffer: buffer, depth: depth, countOffset: countOffset, pathNode: containerPathNode)
    }

    @usableFromInline func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingleEncoder(encoder: self)
    }
}

@usableFromInline struct StreamingSingleEncoder: SingleValueEncodingContainer {
    @usableFromInline let encoder: StreamingEncoder
    @usableFromInline var codingPath: [any CodingKey] { encoder.codingPath }
    @usableFromInline var buffer: EncodingBuffer { encoder.buffer }

    @inline(__always)
    @usableFromInline func primitive<T: FixedWidthInteger>(_ value: T) {
        buffer.bytes.append(1)
        withUnsafeBytes(of: value.littleEndian) { buffer.bytes.append(contentsOf: $0) }
    }

    @usableFromInline func encodeNil() throws { buffer.bytes.append(0) }
    @usableFromInline func encode(_ value: Bool) throws { primitive(UInt8(value ? 1 : 0)) }
    @usableFromInline func encode(_ value: String) throws {
        buffer.bytes.append(1)
        buffer.bytes.append(contentsOf: value.utf8)
    }
    @usableFromInline func encode(_ value: Double) throws { primitive(value.bitPattern) }
    @usableFromInline func encode(_ value: Float) throws { primitive(value.bitPattern) }
    @usableFromInline func encode(_ value: Int) throws { primitive(Int64(value)) }
    @usableFromInline func encode(_ value: Int8) throws { primitive(value) }
    @usableFromInline func encode(_ value: Int16) throws { primitive(value) }
    @usableFromInline func encode(_ value: Int32) throws { primitive(value) }
    @usableFromInline func encode(_ value: Int64) throws { primitive(value) }
    @usableFromInline func encode(_ value: UInt) throws { primitive(UInt64(value)) }
    @usableFromInline func encode(_ value: UInt8) throws { primitive(value) }
    @usableFromInline func encode(_ value: UInt16) throws { primitive(value) }
    @usableFromInline func encode(_ value: UInt32) throws { primitive(value) }
    @usableFromInline func encode(_ value: UInt64) throws { primitive(value) }
    @usableFromInline func encode<T: Encodable>(_ value: T) throws { try encoder.encodeNode(value) }
}

/// Entries are framed one by one: each starts by closing what the previous one left open.
@usableFromInline struct StreamingKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    @usableFromInline let buffer: EncodingBuffer
    @usableFromInline let depth: Int
    @usableFromInline let countOffset: Int
    @usableFromInline let pathNode: CodingPathNode
    @usableFromInline var codingPath: [any CodingKey] { pathNode.path }

    /// Starts an entry and returns the encoder of its node (inside an open frame).
    @usableFromInline func entry(_ key: Key) -> StreamingEncoder { entry(named: key.stringValue, key: key) }

    @usableFromInline func entry(named name: String, key: (any CodingKey)?) -> StreamingEncoder {
        buffer.closeFrames(downTo: depth)
        buffer.patchU32(at: countOffset, buffer.readU32(at: countOffset) + 1)
        buffer.appendString(name)
        buffer.openFrame()
        return StreamingEncoder(buffer: buffer, depth: depth + 1, pathNode: pathNode, key: key)
    }

    @usableFromInline func single(_ key: Key) -> StreamingSingleEncoder { StreamingSingleEncoder(encoder: entry(key)) }

    @usableFromInline func encodeNil(forKey key: Key) throws { try single(key).encodeNil() }
    @usableFromInline func encode(_ value: Bool, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: String, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: Double, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: Float, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: Int, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: Int8, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: Int16, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: Int32, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: Int64, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: UInt, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: UInt8, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: UInt16, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: UInt32, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode(_ value: UInt64, forKey key: Key) throws { try single(key).encode(value) }
    @usableFromInline func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try entry(key).encodeNode(value) }

    @usableFromInline func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        entry(key).container(keyedBy: keyType)
    }
    @usableFromInline func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { entry(key).unkeyedContainer() }
    @usableFromInline func superEncoder() -> any Encoder { entry(named: "super", key: nil) }
    @usableFromInline func superEncoder(forKey key: Key) -> any Encoder { entry(key) }
}

@usableFromInline struct StreamingUnkeyedEncoder: UnkeyedEncodingContainer {
    @usableFromInline let buffer: EncodingBuffer
    @usableFromInline let depth: Int
    @usableFromInline let countOffset: Int
    @usableFromInline let pathNode: CodingPathNode
    @usableFromInline var codingPath: [any CodingKey] { pathNode.path }

    @usableFromInline var count: Int { Int(buffer.readU32(at: countOffset)) }

    @usableFromInline func element() -> StreamingEncoder {
        buffer.closeFrames(downTo: depth)
        buffer.patchU32(at: countOffset, buffer.readU32(at: countOffset) + 1)
        buffer.openFrame()
        return StreamingEncoder(buffer: buffer, depth: depth + 1, pathNode: pathNode, key: nil)
    }

    @usableFromInline func single() -> StreamingSingleEncoder { StreamingSingleEncoder(encoder: element()) }

    @usableFromInline mutating func encodeNil() throws { try single().encodeNil() }
    @usableFromInline mutating func encode(_ value: Bool) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: String) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: Double) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: Float) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: Int) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: Int8) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: Int16) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: Int32) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: Int64) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: UInt) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: UInt8) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: UInt16) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: UInt32) throws { try single().encode(value) }
    @usableFromInline mutating func encode(_ value: UInt64) throws { try single().encode(value) }
    @usableFromInline mutating func encode<T: Encodable>(_ value: T) throws { try element().encodeNode(value) }

    @usableFromInline mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element().container(keyedBy: keyType)
    }
    @usableFromInline mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { element().unkeyedContainer() }
    @usableFromInline mutating func superEncoder() -> any Encoder { element() }
}

@usableFromInline enum Primitive {
    @usableFromInline static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
