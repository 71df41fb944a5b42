/// Encodes `Codable` values into Weir's binary state format.
///
/// Layout (little-endian; `varint` = LEB128, 7 bits a byte, low bits first):
/// - a value is one node; a node starts with a tag byte:
///   - `0` nil (or a value that encoded nothing);
///   - `1` primitive: the bytes of the primitive up to the end of the node's frame
///     (fixed-width: `Bool` as one byte, 8-bit integers, floats, `String` as its UTF-8 bytes, and
///     an integer whose varint would not be shorter than its width);
///   - `7` unsigned integer as a varint, `8` signed integer as a zigzag varint, when that is
///     shorter than the type's width (the sign is in the tag, so that a value read as a type of
///     the other signedness fails instead of changing);
///   - `5` keyed container: entries up to the end of the node, each a field (see below), then
///     the entry's node as `varint` length + bytes;
///   - `6` unkeyed container: elements up to the end of the node, each `varint` length + bytes;
///   - `4` byte string (`[UInt8]`): the raw bytes up to the end of the node's frame.
///   Tags `2` and `3` are the keyed and unkeyed containers of the first format (names and
///   `u32` lengths and counts); ``BinaryStateDecoder`` still reads them, nothing writes them.
/// - A field is a `varint` header: `1` then a 4-byte field id (FNV-1a of the name's UTF-8), or
///   `2 × n` then the name's `n` UTF-8 bytes. Fields are ids, so values carry no names; a
///   container keeps names only where a reader needs them to list its keys: when it has one
///   entry (the case of an enum, which Swift's `Decodable` finds through `allKeys`), and when
///   its key type accepts any name (a dictionary's keys are data, not fields). Two fields of a
///   container with the same id are refused when encoding (rename one); a field a reader asks
///   for is found by id or name, in any order, so a struct may gain optional fields or reorder
///   them between versions.
///
/// The encoder streams into one buffer: a frame's length is written as a one-byte placeholder
/// and patched when the frame closes (moving the frame's bytes in the rare case the length needs
/// more than one byte), so encoding allocates nothing per value (state is serialized at every
/// checkpoint, on a thread that shares the cores with the tasks, and per cache miss by a
/// disk-backed backend).
public struct BinaryStateEncoder {
    /// An encoder (it keeps no state between values).
    public init() {}

    /// The bytes of `value`, for ``BinaryStateDecoder`` to read back.
    /// - Throws: ``StateFormatError/fieldIDCollision(_:path:)`` if two fields of one container
    ///   have the same id, or what `value`'s `encode(to:)` throws.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let buffer = EncodingBuffer()
        try StreamingEncoder(buffer: buffer, depth: 0, pathNode: .root, key: nil).encodeNode(value)
        buffer.closeFrames(downTo: 0)
        if let failure = buffer.failure { throw failure }
        return buffer.bytes
    }

    /// `prefix` (8 bytes, little-endian) followed by the bytes of `value`, in one buffer: a
    /// disk-backed table stores its entries so, the table position's hash first.
    @usableFromInline func encode<T: Encodable>(_ value: T, after prefix: UInt64) throws -> [UInt8] {
        let buffer = EncodingBuffer()
        withUnsafeBytes(of: prefix.littleEndian) { buffer.bytes.append(contentsOf: $0) }
        try StreamingEncoder(buffer: buffer, depth: 0, pathNode: .root, key: nil).encodeNode(value)
        buffer.closeFrames(downTo: 0)
        if let failure = buffer.failure { throw failure }
        return buffer.bytes
    }
}

/// The node tags of the state format (see ``BinaryStateEncoder``).
@usableFromInline enum NodeTag {
    @usableFromInline static let null: UInt8 = 0
    @usableFromInline static let primitive: UInt8 = 1
    @usableFromInline static let namedKeyed: UInt8 = 2
    @usableFromInline static let countedUnkeyed: UInt8 = 3
    @usableFromInline static let bytes: UInt8 = 4
    @usableFromInline static let keyed: UInt8 = 5
    @usableFromInline static let unkeyed: UInt8 = 6
    @usableFromInline static let varint: UInt8 = 7
    @usableFromInline static let signedVarint: UInt8 = 8
}

/// The id of a field in a keyed container: FNV-1a (32 bits) of its name's UTF-8 bytes, stable
/// across processes and versions (Swift's `Hasher` is seeded per process).
@usableFromInline enum FieldID {
    @inlinable static func of(_ name: String) -> UInt32 { of(utf8: name.utf8) }

    @inlinable static func of(utf8 bytes: some Sequence<UInt8>) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }
}

/// Integers as the state format writes them: a varint when shorter than the type's width.
@usableFromInline enum IntegerNode {
    /// Appends the node (tag and bytes) of `value`.
    @inline(__always)
    @inlinable static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        let width = MemoryLayout<T>.size
        guard width > 1 else {
            bytes.append(NodeTag.primitive)
            bytes.append(UInt8(truncatingIfNeeded: value))
            return
        }
        let raw: UInt64 = T.isSigned ? zigzag(Int64(value)) : UInt64(value)
        if Varint.length(of: raw) < width {
            bytes.append(T.isSigned ? NodeTag.signedVarint : NodeTag.varint)
            Varint.append(raw, to: &bytes)
        } else {
            appendFixed(value, to: &bytes)
        }
    }

    /// Appends `value` as a primitive node of its full width, little-endian.
    @inline(__always)
    @inlinable static func appendFixed<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        bytes.append(NodeTag.primitive)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    @inlinable static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
}

/// LEB128: 7 bits a byte, low bits first, the high bit set on every byte but the last.
@usableFromInline enum Varint {
    @inline(__always)
    @inlinable static func length(of value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    @inline(__always)
    @inlinable static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Writes `value` at `offset`, over exactly `length(of: value)` bytes.
    @inlinable static func write(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
        var rest = value
        var index = offset
        while rest >= 0x80 {
            bytes[index] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest >>= 7
            index += 1
        }
        bytes[index] = UInt8(rest)
    }
}

/// The output of one `encode` call, with the frames not yet closed.
@usableFromInline final class EncodingBuffer {
    /// Room for a small value from the start: growing from empty would reallocate three times.
    @usableFromInline var bytes: [UInt8] = { var bytes: [UInt8] = []; bytes.reserveCapacity(64); return bytes }()
    /// Offsets of the one-byte length placeholders of open frames, outermost first.
    @usableFromInline var openFrames: [Int] = []
    /// The first error found where the `Encoder` protocol cannot throw (starting an entry);
    /// `encode` throws it at the end.
    @usableFromInline var failure: StateFormatError?

    @usableFromInline func openFrame() {
        openFrames.append(bytes.count)
        bytes.append(0)
    }

    /// Closes every frame deeper than `depth`, patching in its length; a frame that received
    /// nothing becomes a nil node. A length that needs more than the placeholder's byte moves
    /// the frame's bytes (only frames of 128 bytes or more; each moves once).
    @usableFromInline func closeFrames(downTo depth: Int) {
        while openFrames.count > depth {
            let offset = openFrames.removeLast()
            if bytes.count == offset + 1 { bytes.append(NodeTag.null) }
            let length = UInt64(bytes.count - offset - 1)
            let needed = Varint.length(of: length)
            if needed > 1 { bytes.insert(contentsOf: repeatElement(0, count: needed - 1), at: offset + 1) }
            Varint.write(length, into: &bytes, at: offset)
        }
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
            buffer.bytes.append(NodeTag.bytes)
            buffer.bytes.append(contentsOf: value as! [UInt8])
        } else {
            try value.encode(to: self)
            buffer.closeFrames(downTo: depth)
        }
        if buffer.bytes.count == start { buffer.bytes.append(NodeTag.null) }
    }

    @usableFromInline func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        buffer.closeFrames(downTo: depth)
        buffer.bytes.append(NodeTag.keyed)
        // A key type that takes any name is a dictionary's (or another container of dynamic
        // keys): its names are data that a reader lists, so they are written.
        let keysAreData = Key(stringValue: "\u{1}weir") != nil
        return KeyedEncodingContainer(StreamingKeyedEncoder<Key>(buffer: buffer, depth: depth, entriesStart: buffer.bytes.count, keysAreData: keysAreData, pathNode: containerPathNode))
    }

    @usableFromInline func unkeyedContainer() -> any UnkeyedEncodingContainer {
        buffer.closeFrames(downTo: depth)
        buffer.bytes.append(NodeTag.unkeyed)
        return StreamingUnkeyedEncoder(buffer: buffer, depth: depth, pathNode: containerPathNode)
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
    @usableFromInline func integer<T: FixedWidthInteger>(_ value: T) {
        IntegerNode.append(value, to: &buffer.bytes)
    }

    @inline(__always)
    @usableFromInline func fixed<T: FixedWidthInteger>(_ value: T) {
        IntegerNode.appendFixed(value, to: &buffer.bytes)
    }

    @usableFromInline func encodeNil() throws { buffer.bytes.append(NodeTag.null) }
    @usableFromInline func encode(_ value: Bool) throws { fixed(UInt8(value ? 1 : 0)) }
    @usableFromInline func encode(_ value: String) throws {
        buffer.bytes.append(NodeTag.primitive)
        buffer.bytes.append(contentsOf: value.utf8)
    }
    @usableFromInline func encode(_ value: Double) throws { fixed(value.bitPattern) }
    @usableFromInline func encode(_ value: Float) throws { fixed(value.bitPattern) }
    @usableFromInline func encode(_ value: Int) throws { integer(Int64(value)) }
    @usableFromInline func encode(_ value: Int8) throws { integer(value) }
    @usableFromInline func encode(_ value: Int16) throws { integer(value) }
    @usableFromInline func encode(_ value: Int32) throws { integer(value) }
    @usableFromInline func encode(_ value: Int64) throws { integer(value) }
    @usableFromInline func encode(_ value: UInt) throws { integer(UInt64(value)) }
    @usableFromInline func encode(_ value: UInt8) throws { integer(value) }
    @usableFromInline func encode(_ value: UInt16) throws { integer(value) }
    @usableFromInline func encode(_ value: UInt32) throws { integer(value) }
    @usableFromInline func encode(_ value: UInt64) throws { integer(value) }
    @usableFromInline func encode<T: Encodable>(_ value: T) throws { try encoder.encodeNode(value) }
}

/// Entries are framed one by one: each starts by closing what the previous one left open.
@usableFromInline struct StreamingKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    @usableFromInline let buffer: EncodingBuffer
    @usableFromInline let depth: Int
    /// Where the container's first entry starts (right after its tag).
    @usableFromInline let entriesStart: Int
    /// Whether every entry keeps its name (dynamic keys), not only a lone entry.
    @usableFromInline let keysAreData: Bool
    @usableFromInline let pathNode: CodingPathNode
    @usableFromInline var codingPath: [any CodingKey] { pathNode.path }

    /// Starts an entry and returns the encoder of its node (inside an open frame).
    @usableFromInline func entry(_ key: Key) -> StreamingEncoder { entry(named: key.stringValue, key: key) }

    @usableFromInline func entry(named name: String, key: (any CodingKey)?) -> StreamingEncoder {
        buffer.closeFrames(downTo: depth)
        if keysAreData {
            appendName(name)
        } else {
            let id = FieldID.of(name)
            let earlier = scanEntries(for: id)
            if earlier.collides, buffer.failure == nil {
                let path = (pathNode.path + (key.map { [$0] } ?? [])).map(\.stringValue).joined(separator: ".")
                buffer.failure = .fieldIDCollision(name, path: path)
            }
            if earlier.count == 0 {
                appendName(name)
            } else {
                if earlier.count == 1, let first = earlier.firstNamed { nameFirstEntryByID(header: first.header, id: first.id) }
                buffer.bytes.append(1)
                withUnsafeBytes(of: id.littleEndian) { buffer.bytes.append(contentsOf: $0) }
            }
        }
        buffer.openFrame()
        return StreamingEncoder(buffer: buffer, depth: depth + 1, pathNode: pathNode, key: key)
    }

    @usableFromInline func appendName(_ name: String) {
        Varint.append(UInt64(name.utf8.count) << 1, to: &buffer.bytes)
        buffer.bytes.append(contentsOf: name.utf8)
    }

    /// The entries written so far: how many, whether one has the id `id`, and the extent and id
    /// of the first one's header if it is a name. (The slice it reads ends with the call: a
    /// slice alive while the buffer grows would make the append copy the whole buffer.)
    @usableFromInline func scanEntries(for id: UInt32) -> (count: Int, collides: Bool, firstNamed: (header: Range<Int>, id: UInt32)?) {
        var reader = ByteReader(bytes: buffer.bytes[entriesStart...])
        var count = 0
        var collides = false
        var firstNamed: (header: Range<Int>, id: UInt32)?
        // The buffer's own frames: well formed, so `try!` cannot fail.
        while !reader.isAtEnd {
            let headerStart = reader.bytes.startIndex
            let field = try! reader.field()
            switch field {
            case .id(let existing): collides = collides || existing == id
            case .name(let name):
                let nameID = FieldID.of(utf8: name)
                collides = collides || nameID == id
                if count == 0 { firstNamed = (headerStart..<reader.bytes.startIndex, nameID) }
            }
            _ = try! reader.take(try! reader.length())
            count += 1
        }
        return (count, collides, firstNamed)
    }

    /// A container's first entry keeps its name while it is the only one; when a second comes,
    /// the name gives way to its id (the entry's node moves by a few bytes, once).
    @usableFromInline func nameFirstEntryByID(header: Range<Int>, id: UInt32) {
        buffer.bytes.replaceSubrange(header, with: repeatElement(0, count: 5))
        buffer.bytes[header.lowerBound] = 1
        withUnsafeBytes(of: id.littleEndian) { raw in
            for index in 0..<4 { buffer.bytes[header.lowerBound + 1 + index] = raw[index] }
        }
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
    @usableFromInline let pathNode: CodingPathNode
    @usableFromInline var codingPath: [any CodingKey] { pathNode.path }
    /// Elements started so far (the format keeps no count: elements run to the node's end).
    @usableFromInline var count = 0

    @usableFromInline init(buffer: EncodingBuffer, depth: Int, pathNode: CodingPathNode) {
        self.buffer = buffer
        self.depth = depth
        self.pathNode = pathNode
    }

    @usableFromInline mutating func element() -> StreamingEncoder {
        buffer.closeFrames(downTo: depth)
        count += 1
        buffer.openFrame()
        return StreamingEncoder(buffer: buffer, depth: depth + 1, pathNode: pathNode, key: nil)
    }

    @usableFromInline mutating func single() -> StreamingSingleEncoder { StreamingSingleEncoder(encoder: element()) }

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
