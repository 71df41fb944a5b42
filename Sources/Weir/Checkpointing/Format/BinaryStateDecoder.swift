/// Decodes values written by ``BinaryStateEncoder``.
public struct BinaryStateDecoder {
    /// A decoder (it keeps no state between values).
    public init() {}

    /// The value of type `type` that `bytes` hold; throws ``StateFormatError`` if they are
    /// damaged or were written for another type.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        let buffer = Array(bytes)
        var reader = ByteReader(bytes: buffer[...])
        let node = try DecodingNode.parse(&reader)
        guard reader.isAtEnd else { throw StateFormatError.corrupt("\(reader.remaining) trailing bytes after a \(T.self)") }
        return try SingleNodeDecoder(node: node, codingPath: []).decode(T.self)
    }
}

/// What went wrong reading checkpoint data.
public enum StateFormatError: Error, CustomStringConvertible, Equatable {
    /// The bytes are not a valid encoding (truncated, trailing bytes, a bad tag).
    case corrupt(String)
    /// The bytes encode another type than the one asked for, at `path`.
    case typeMismatch(expected: String, path: String)

    /// What could not be decoded, and where.
    public var description: String {
        switch self {
        case .corrupt(let detail): return "corrupt state data: \(detail)"
        case let .typeMismatch(expected, path): return "state data does not match the type: expected \(expected) at '\(path)'"
        }
    }
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

    @usableFromInline mutating func string() throws -> String {
        String(decoding: try take(try u32()), as: UTF8.self)
    }
}

@usableFromInline indirect enum DecodingNode {
    case null
    case primitive(ArraySlice<UInt8>)
    case keyed([String: DecodingNode], order: [String])
    case unkeyed([DecodingNode])
    case bytes(ArraySlice<UInt8>)

    @usableFromInline static func parse(_ reader: inout ByteReader) throws -> DecodingNode {
        switch try reader.byte() {
        case 0:
            return .null
        case 1:
            let rest = reader.bytes
            reader.bytes = rest[rest.endIndex...]
            return .primitive(rest)
        case 2:
            let count = try reader.u32()
            var entries: [String: DecodingNode] = [:]
            var order: [String] = []
            for _ in 0..<count {
                let key = try reader.string()
                entries[key] = try framed(&reader)
                order.append(key)
            }
            return .keyed(entries, order: order)
        case 4:
            let rest = reader.bytes
            reader.bytes = rest[rest.endIndex...]
            return .bytes(rest)
        case 3:
            let count = try reader.u32()
            var elements: [DecodingNode] = []
            for _ in 0..<count { elements.append(try framed(&reader)) }
            return .unkeyed(elements)
        case let tag:
            throw StateFormatError.corrupt("unknown node tag \(tag)")
        }
    }

    @usableFromInline static func framed(_ reader: inout ByteReader) throws -> DecodingNode {
        let length = try reader.u32()
        guard length <= reader.remaining else { throw StateFormatError.corrupt("a nested value of \(length) bytes exceeds the \(reader.remaining) bytes left") }
        var inner = ByteReader(bytes: try reader.take(length))
        return try parse(&inner)
    }
}

@usableFromInline struct NodeDecoder: Decoder {
    @usableFromInline let node: DecodingNode
    @usableFromInline let codingPath: [any CodingKey]
    @usableFromInline var userInfo: [CodingUserInfoKey: Any] { [:] }

    @usableFromInline var path: String { codingPath.map(\.stringValue).joined(separator: ".") }

    @usableFromInline func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch node {
        case let .keyed(entries, order): return KeyedDecodingContainer(KeyedNodeDecoder<Key>(entries: entries, order: order, codingPath: codingPath))
        case .null: return KeyedDecodingContainer(KeyedNodeDecoder<Key>(entries: [:], order: [], codingPath: codingPath))
        default: throw StateFormatError.typeMismatch(expected: "a keyed container", path: path)
        }
    }

    @usableFromInline func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch node {
        case .unkeyed(let elements): return UnkeyedNodeDecoder(elements: elements, codingPath: codingPath)
        case .null: return UnkeyedNodeDecoder(elements: [], codingPath: codingPath)
        default: throw StateFormatError.typeMismatch(expected: "an unkeyed container", path: path)
        }
    }

    @usableFromInline func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleNodeDecoder(node: node, codingPath: codingPath) }
}

@usableFromInline struct SingleNodeDecoder: SingleValueDecodingContainer {
    @usableFromInline let node: DecodingNode
    @usableFromInline let codingPath: [any CodingKey]

    @usableFromInline func reader(_ expected: String) throws -> ByteReader {
        guard case .primitive(let bytes) = node else {
            throw StateFormatError.typeMismatch(expected: expected, path: codingPath.map(\.stringValue).joined(separator: "."))
        }
        return ByteReader(bytes: bytes)
    }

    @usableFromInline func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
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
                throw StateFormatError.typeMismatch(expected: "bytes", path: codingPath.map(\.stringValue).joined(separator: "."))
            }
            return Array(raw) as! T
        }
        return try T(from: NodeDecoder(node: node, codingPath: codingPath))
    }
}

@usableFromInline struct KeyedNodeDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    @usableFromInline let entries: [String: DecodingNode]
    @usableFromInline let order: [String]
    @usableFromInline let codingPath: [any CodingKey]

    @usableFromInline var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }
    @usableFromInline func contains(_ key: Key) -> Bool { entries[key.stringValue] != nil }

    @usableFromInline func node(_ key: Key) throws -> DecodingNode {
        guard let node = entries[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for '\(key.stringValue)' in the state data"))
        }
        return node
    }
    @usableFromInline func single(_ key: Key) throws -> SingleNodeDecoder { SingleNodeDecoder(node: try node(key), codingPath: codingPath + [key]) }

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
    @usableFromInline func superDecoder() throws -> any Decoder { NodeDecoder(node: entries["super"] ?? .null, codingPath: codingPath) }
    @usableFromInline func superDecoder(forKey key: Key) throws -> any Decoder { NodeDecoder(node: try node(key), codingPath: codingPath + [key]) }
}

@usableFromInline struct UnkeyedNodeDecoder: UnkeyedDecodingContainer {
    @usableFromInline let elements: [DecodingNode]
    @usableFromInline let codingPath: [any CodingKey]
    @usableFromInline var currentIndex = 0

    @usableFromInline init(elements: [DecodingNode], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    @usableFromInline var count: Int? { elements.count }
    @usableFromInline var isAtEnd: Bool { currentIndex >= elements.count }

    @usableFromInline mutating func next() throws -> SingleNodeDecoder {
        guard !isAtEnd else { throw StateFormatError.corrupt("fewer elements than expected at '\(codingPath.map(\.stringValue).joined(separator: "."))'") }
        defer { currentIndex += 1 }
        return SingleNodeDecoder(node: elements[currentIndex], codingPath: codingPath)
    }

    @usableFromInline mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if case .null = elements[currentIndex] {
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
