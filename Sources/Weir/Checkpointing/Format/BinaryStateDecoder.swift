/// Decodes values written by ``BinaryStateEncoder``.
public struct BinaryStateDecoder {
    /// A decoder (it keeps no state between values).
    public init() {}

    /// The value of type `type` that `bytes` hold; throws ``StateFormatError`` if they are
    /// damaged or were written for another type.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        // An array or a slice of one is read in place; anything else is copied once.
        if let array = bytes as? [UInt8] { return try decode(type, in: array[...]) }
        if let slice = bytes as? ArraySlice<UInt8> { return try decode(type, in: slice) }
        return try decode(type, in: Array(bytes)[...])
    }

    @usableFromInline func decode<T: Decodable>(_ type: T.Type, in bytes: ArraySlice<UInt8>) throws -> T {
        var reader = ByteReader(bytes: bytes)
        try DecodingNode.validate(&reader)
        guard reader.isAtEnd else { throw StateFormatError.corrupt("\(reader.remaining) trailing bytes after a \(T.self)") }
        return try SingleNodeDecoder(node: try DecodingNode.parse(bytes), path: DecodingPath([])).decode(T.self)
    }
}

/// What went wrong reading or writing checkpoint data.
public enum StateFormatError: Error, CustomStringConvertible, Equatable {
    /// The bytes are not a valid encoding (truncated, trailing bytes, a bad tag).
    case corrupt(String)
    /// The bytes encode another type than the one asked for, at `path`.
    case typeMismatch(expected: String, path: String)
    /// Two fields of one container have the same field id (a 32-bit hash of the name): the
    /// second, `field` at `path`, cannot be told apart from the first when read back.
    case fieldIDCollision(String, path: String)

    /// What could not be decoded or encoded, and where.
    public var description: String {
        switch self {
        case .corrupt(let detail): return "corrupt state data: \(detail)"
        case let .typeMismatch(expected, path): return "state data does not match the type: expected \(expected) at '\(path)'"
        case let .fieldIDCollision(field, path):
            return "cannot encode state: field '\(field)' at '\(path)' has the same field id as another field of the same value (or is written twice); rename one of them"
        }
    }
}

/// How an entry of a keyed container names its field.
@usableFromInline enum FieldHeader {
    /// By id (``FieldID``): the usual case.
    case id(UInt32)
    /// By name (UTF-8): a lone entry, dynamic keys, and the first format.
    case name(ArraySlice<UInt8>)
}

/// Reads bytes front to back, checking bounds.
@usableFromInline struct ByteReader {
    @usableFromInline var bytes: ArraySlice<UInt8>

    @usableFromInline var isAtEnd: Bool { bytes.isEmpty }
    @usableFromInline var remaining: Int { bytes.count }

    @usableFromInline mutating func byte() throws -> UInt8 {
        guard let first = bytes.first else { throw StateFormatError.corrupt("unexpected end of data") }
        bytes = bytes.dropFirst()
        return first
    }

    @usableFromInline mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count else { throw StateFormatError.corrupt("a length of \(count) exceeds the \(bytes.count) bytes left") }
        let taken = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return taken
    }

    @usableFromInline mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let raw = try take(MemoryLayout<T>.size)
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: raw) }
        return T(littleEndian: value)
    }

    @usableFromInline mutating func u32() throws -> Int { Int(try integer(UInt32.self)) }

    /// A LEB128 varint of at most 64 bits.
    @inline(__always)
    @usableFromInline mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try self.byte()
            guard shift < 63 || (shift == 63 && byte <= 1) else { throw StateFormatError.corrupt("a varint longer than 64 bits") }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A varint length, checked against the bytes left.
    @usableFromInline mutating func length() throws -> Int {
        let length = try varint()
        guard length <= UInt64(bytes.count) else { throw StateFormatError.corrupt("a length of \(length) exceeds the \(bytes.count) bytes left") }
        return Int(length)
    }

    /// The field header of a keyed container's entry (``BinaryStateEncoder``).
    @usableFromInline mutating func field() throws -> FieldHeader {
        let header = try varint()
        if header == 1 { return .id(try integer(UInt32.self)) }
        guard header & 1 == 0 else { throw StateFormatError.corrupt("unknown field header \(header)") }
        let length = header >> 1
        guard length <= UInt64(bytes.count) else { throw StateFormatError.corrupt("a field name of \(length) bytes exceeds the \(bytes.count) bytes left") }
        return .name(try take(Int(length)))
    }
}

/// One node of the encoded tree, read lazily: a container is its entries' bytes, taken apart
/// only when a field or element is asked for. Decoding a value allocates no tree (no
/// dictionary of fields, no boxed nodes, no coding path per field): a disk-backed backend
/// decodes a value per state read that misses its cache, a restore one per entry.
@usableFromInline enum DecodingNode {
    case null
    case primitive(ArraySlice<UInt8>)
    case varint(ArraySlice<UInt8>)
    case signedVarint(ArraySlice<UInt8>)
    /// Entries to the end, each a field header then its node (varint length + bytes).
    case keyed(entries: ArraySlice<UInt8>)
    /// Elements to the end, each a node (varint length + bytes).
    case unkeyed(elements: ArraySlice<UInt8>)
    /// The first format: `count` entries, each a key (`u32` length + UTF-8) then its node
    /// (`u32` length + bytes).
    case namedKeyed(entries: ArraySlice<UInt8>, count: Int)
    /// The first format: `count` elements, each a node (`u32` length + bytes).
    case countedUnkeyed(elements: ArraySlice<UInt8>, count: Int)
    case bytes(ArraySlice<UInt8>)

    /// The node that `bytes` hold, its tag read and nothing below it (``validate(_:)`` checked
    /// the whole tree once).
    @usableFromInline static func parse(_ bytes: ArraySlice<UInt8>) throws -> DecodingNode {
        var reader = ByteReader(bytes: bytes)
        switch try reader.byte() {
        case NodeTag.null: return .null
        case NodeTag.primitive: return .primitive(reader.bytes)
        case NodeTag.varint: return .varint(reader.bytes)
        case NodeTag.signedVarint: return .signedVarint(reader.bytes)
        case NodeTag.keyed: return .keyed(entries: reader.bytes)
        case NodeTag.unkeyed: return .unkeyed(elements: reader.bytes)
        case NodeTag.namedKeyed:
            let count = try reader.u32()
            return .namedKeyed(entries: reader.bytes, count: count)
        case NodeTag.countedUnkeyed:
            let count = try reader.u32()
            return .countedUnkeyed(elements: reader.bytes, count: count)
        case NodeTag.bytes: return .bytes(reader.bytes)
        case let tag: throw StateFormatError.corrupt("unknown node tag \(tag)")
        }
    }

    /// Checks the structure of the node at the reader (tags, lengths within their frames,
    /// varints) and moves past it, building nothing: damaged data is refused before any of it
    /// is decoded, also in fields the type does not read.
    @usableFromInline static func validate(_ reader: inout ByteReader) throws {
        switch try reader.byte() {
        case NodeTag.null:
            return
        case NodeTag.primitive, NodeTag.bytes:
            reader.bytes = reader.bytes[reader.bytes.endIndex...]
        case NodeTag.varint, NodeTag.signedVarint:
            _ = try reader.varint()
        case NodeTag.keyed:
            while !reader.isAtEnd {
                _ = try reader.field()
                try validateFrame(try reader.take(try reader.length()))
            }
        case NodeTag.unkeyed:
            while !reader.isAtEnd { try validateFrame(try reader.take(try reader.length())) }
        case NodeTag.namedKeyed:
            for _ in 0..<(try reader.u32()) {
                _ = try reader.take(try reader.u32())
                try validateFrame(try reader.take(try reader.u32()))
            }
        case NodeTag.countedUnkeyed:
            for _ in 0..<(try reader.u32()) { try validateFrame(try reader.take(try reader.u32())) }
        case let tag:
            throw StateFormatError.corrupt("unknown node tag \(tag)")
        }
    }

    /// Validates the node a frame holds, which must fill it.
    @usableFromInline static func validateFrame(_ frame: ArraySlice<UInt8>) throws {
        var reader = ByteReader(bytes: frame)
        try validate(&reader)
        guard reader.isAtEnd else { throw StateFormatError.corrupt("\(reader.remaining) bytes left over in a nested value") }
    }
}

/// Where a value sits, as `parent` + `key`: the array is built only when someone asks (errors,
/// nested containers), not per field.
@usableFromInline struct DecodingPath {
    @usableFromInline let parent: [any CodingKey]
    @usableFromInline let key: (any CodingKey)?

    @usableFromInline init(_ parent: [any CodingKey], _ key: (any CodingKey)? = nil) {
        self.parent = parent
        self.key = key
    }

    @usableFromInline var keys: [any CodingKey] { key.map { parent + [$0] } ?? parent }
    @usableFromInline var description: String { keys.map(\.stringValue).joined(separator: ".") }
}

@usableFromInline struct NodeDecoder: Decoder {
    @usableFromInline let node: DecodingNode
    @usableFromInline let codingPath: [any CodingKey]
    @usableFromInline var userInfo: [CodingUserInfoKey: Any] { [:] }

    @usableFromInline init(node: DecodingNode, codingPath: [any CodingKey]) {
        self.node = node
        self.codingPath = codingPath
    }

    @usableFromInline var path: String { DecodingPath(codingPath).description }

    @usableFromInline func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch node {
        case let .keyed(entries): return KeyedDecodingContainer(KeyedNodeDecoder<Key>(entries: entries, legacyCount: nil, codingPath: codingPath))
        case let .namedKeyed(entries, count): return KeyedDecodingContainer(KeyedNodeDecoder<Key>(entries: entries, legacyCount: count, codingPath: codingPath))
        case .null: return KeyedDecodingContainer(KeyedNodeDecoder<Key>(entries: [], legacyCount: nil, codingPath: codingPath))
        default: throw StateFormatError.typeMismatch(expected: "a keyed container", path: path)
        }
    }

    @usableFromInline func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch node {
        case let .unkeyed(elements): return UnkeyedNodeDecoder(elements: elements, legacyCount: nil, codingPath: codingPath)
        case let .countedUnkeyed(elements, count): return UnkeyedNodeDecoder(elements: elements, legacyCount: count, codingPath: codingPath)
        case .null: return UnkeyedNodeDecoder(elements: [], legacyCount: nil, codingPath: codingPath)
        default: throw StateFormatError.typeMismatch(expected: "an unkeyed container", path: path)
        }
    }

    @usableFromInline func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleNodeDecoder(node: node, path: DecodingPath(codingPath)) }
}

@usableFromInline struct SingleNodeDecoder: SingleValueDecodingContainer {
    @usableFromInline let node: DecodingNode
    @usableFromInline let path: DecodingPath
    @usableFromInline var codingPath: [any CodingKey] { path.keys }

    @usableFromInline init(node: DecodingNode, path: DecodingPath) {
        self.node = node
        self.path = path
    }

    @usableFromInline func reader(_ expected: @autoclosure () -> String) throws -> ByteReader {
        guard case .primitive(let bytes) = node else {
            throw StateFormatError.typeMismatch(expected: expected(), path: path.description)
        }
        return ByteReader(bytes: bytes)
    }

    @usableFromInline func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        switch node {
        case .varint(let bytes), .signedVarint(let bytes):
            var reader = ByteReader(bytes: bytes)
            let raw = try reader.varint()
            let value: T?
            if case .signedVarint = node { value = T(exactly: IntegerNode.unzigzag(raw)) } else { value = T(exactly: raw) }
            guard let value else { throw StateFormatError.typeMismatch(expected: "\(T.self) (the stored integer does not fit)", path: path.description) }
            return value
        default:
            break
        }
        var reader = try reader("\(T.self)")
        return try reader.integer(T.self)
    }

    @usableFromInline func decodeNil() -> Bool {
        if case .null = node { return true }
        return false
    }
    @usableFromInline func decode(_ type: Bool.Type) throws -> Bool { try integer(UInt8.self) != 0 }
    @usableFromInline func decode(_ type: String.Type) throws -> String {
        let reader = try reader("String")
        return String(decoding: reader.bytes, as: UTF8.self)
    }
    @usableFromInline func decode(_ type: Double.Type) throws -> Double { Double(bitPattern: try integer(UInt64.self)) }
    @usableFromInline func decode(_ type: Float.Type) throws -> Float { Float(bitPattern: try integer(UInt32.self)) }
    @usableFromInline func decode(_ type: Int.Type) throws -> Int { Int(try integer(Int64.self)) }
    @usableFromInline func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    @usableFromInline func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    @usableFromInline func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    @usableFromInline func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    @usableFromInline func decode(_ type: UInt.Type) throws -> UInt { UInt(try integer(UInt64.self)) }
    @usableFromInline func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    @usableFromInline func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    @usableFromInline func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    @usableFromInline func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }
    @usableFromInline func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == [UInt8].self {
            guard case .bytes(let raw) = node else {
                throw StateFormatError.typeMismatch(expected: "bytes", path: path.description)
            }
            return Array(raw) as! T
        }
        return try T(from: NodeDecoder(node: node, codingPath: path.keys))
    }
}

/// Finds a field by a scan of the entries (a value has a handful; no dictionary is built).
@usableFromInline struct KeyedNodeDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    @usableFromInline let entries: ArraySlice<UInt8>
    /// The entry count of a container of the first format (`u32` lengths, names); `nil` for
    /// the current one.
    @usableFromInline let legacyCount: Int?
    @usableFromInline let codingPath: [any CodingKey]

    @usableFromInline init(entries: ArraySlice<UInt8>, legacyCount: Int?, codingPath: [any CodingKey]) {
        self.entries = entries
        self.legacyCount = legacyCount
        self.codingPath = codingPath
    }

    /// Calls `body` with each entry's field and node bytes until it returns `false`.
    @usableFromInline func forEachEntry(_ body: (FieldHeader, ArraySlice<UInt8>) throws -> Bool) throws {
        var reader = ByteReader(bytes: entries)
        if let legacyCount {
            for _ in 0..<legacyCount {
                let key = try reader.take(try reader.u32())
                let node = try reader.take(try reader.u32())
                guard try body(.name(key), node) else { return }
            }
            return
        }
        while !reader.isAtEnd {
            let field = try reader.field()
            let node = try reader.take(try reader.length())
            guard try body(field, node) else { return }
        }
    }

    /// The node of the first entry for the field `name` (by its name or its id), if any.
    @usableFromInline func find(_ name: String) throws -> DecodingNode? {
        var name = name
        return try name.withUTF8 { wanted -> DecodingNode? in
            var wantedID: UInt32?
            var found: ArraySlice<UInt8>?
            try forEachEntry { field, node in
                switch field {
                case .name(let key):
                    guard key.count == wanted.count, key.elementsEqual(wanted) else { return true }
                case .id(let id):
                    if wantedID == nil { wantedID = FieldID.of(utf8: wanted) }
                    guard id == wantedID else { return true }
                }
                found = node
                return false
            }
            return try found.map { try DecodingNode.parse($0) }
        }
    }

    /// The keys of the entries that keep their names (a lone entry, dynamic keys, the first
    /// format): the ones a reader lists. An entry written by id is found by ``contains(_:)``
    /// and the `decode` methods, not listed.
    @usableFromInline var allKeys: [Key] {
        var keys: [Key] = []
        try? forEachEntry { field, _ in
            if case .name(let name) = field, let key = Key(stringValue: String(decoding: name, as: UTF8.self)) { keys.append(key) }
            return true
        }
        return keys
    }
    @usableFromInline func contains(_ key: Key) -> Bool { ((try? find(key.stringValue)) ?? nil) != nil }

    @usableFromInline func node(_ key: Key) throws -> DecodingNode {
        guard let node = try find(key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for '\(key.stringValue)' in the state data"))
        }
        return node
    }
    @usableFromInline func single(_ key: Key) throws -> SingleNodeDecoder { SingleNodeDecoder(node: try node(key), path: DecodingPath(codingPath, key)) }

    @usableFromInline func decodeNil(forKey key: Key) throws -> Bool { try single(key).decodeNil() }
    @usableFromInline func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try single(key).decode(type) }
    @usableFromInline func decode(_ type: String.Type, forKey key: Key) throws -> String { try single(key).decode(type) }
    @usableFromInline func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try single(key).decode(type) }
    @usableFromInline func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try single(key).decode(type) }
    @usableFromInline func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try single(key).decode(type) }
    @usableFromInline func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try single(key).decode(type) }
    @usableFromInline func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try single(key).decode(type) }
    @usableFromInline func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try single(key).decode(type) }
    @usableFromInline func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try single(key).decode(type) }
    @usableFromInline func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try single(key).decode(type) }
    @usableFromInline func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try single(key).decode(type) }
    @usableFromInline func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try single(key).decode(type) }
    @usableFromInline func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try single(key).decode(type) }
    @usableFromInline func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try single(key).decode(type) }
    @usableFromInline func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try single(key).decode(type) }

    @usableFromInline func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try NodeDecoder(node: try node(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }
    @usableFromInline func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeDecoder(node: try node(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    @usableFromInline func superDecoder() throws -> any Decoder { NodeDecoder(node: try find("super") ?? .null, codingPath: codingPath) }
    @usableFromInline func superDecoder(forKey key: Key) throws -> any Decoder { NodeDecoder(node: try node(key), codingPath: codingPath + [key]) }
}

@usableFromInline struct UnkeyedNodeDecoder: UnkeyedDecodingContainer {
    /// The elements not yet decoded.
    @usableFromInline var reader: ByteReader
    /// The element count of a container of the first format (`u32` lengths); `nil` for the
    /// current one, whose elements run to its end.
    @usableFromInline let legacyCount: Int?
    @usableFromInline let codingPath: [any CodingKey]
    @usableFromInline var currentIndex = 0

    @usableFromInline init(elements: ArraySlice<UInt8>, legacyCount: Int?, codingPath: [any CodingKey]) {
        reader = ByteReader(bytes: elements)
        self.legacyCount = legacyCount
        self.codingPath = codingPath
    }

    /// Counted by skipping over the elements' frames (only if asked: `Array` does not ask).
    @usableFromInline var count: Int? {
        if let legacyCount { return legacyCount }
        var ahead = reader
        var count = currentIndex
        while !ahead.isAtEnd {
            guard let length = try? ahead.length(), (try? ahead.take(length)) != nil else { return nil }
            count += 1
        }
        return count
    }
    @usableFromInline var isAtEnd: Bool { legacyCount.map { currentIndex >= $0 } ?? reader.isAtEnd }

    /// The next element's node, the reader moved past it.
    @usableFromInline func framed(_ reader: inout ByteReader) throws -> DecodingNode {
        try DecodingNode.parse(try reader.take(legacyCount == nil ? try reader.length() : try reader.u32()))
    }

    @usableFromInline mutating func next() throws -> SingleNodeDecoder {
        guard !isAtEnd else { throw StateFormatError.corrupt("fewer elements than expected at '\(DecodingPath(codingPath).description)'") }
        let node = try framed(&reader)
        currentIndex += 1
        return SingleNodeDecoder(node: node, path: DecodingPath(codingPath))
    }

    @usableFromInline mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        var ahead = reader
        if case .null = try framed(&ahead) {
            reader = ahead
            currentIndex += 1
            return true
        }
        return false
    }
    @usableFromInline mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: String.Type) throws -> String { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: Double.Type) throws -> Double { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: Float.Type) throws -> Float { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: Int.Type) throws -> Int { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decode(type) }
    @usableFromInline mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decode(type) }
    @usableFromInline mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

    @usableFromInline mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let element = try next()
        return try NodeDecoder(node: element.node, codingPath: codingPath).container(keyedBy: type)
    }
    @usableFromInline mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let element = try next()
        return try NodeDecoder(node: element.node, codingPath: codingPath).unkeyedContainer()
    }
    @usableFromInline mutating func superDecoder() throws -> any Decoder { NodeDecoder(node: try next().node, codingPath: codingPath) }
}
