/// Encodes `Codable` values into Weir's binary state format.
///
/// Layout (little-endian; `varint` = unsigned LEB128):
/// - a value is one node; a node starts with a tag byte:
///   - `0` nil;
///   - `1` primitive: the bytes of the primitive (fixed-width integers and floats, `Bool` as one
///     byte, `String` as varint length + UTF-8);
///   - `2` keyed container: varint count, then per entry: key (varint length + UTF-8), then the
///     entry's node as varint length + bytes;
///   - `3` unkeyed container: varint count, then each element's node as varint length + bytes;
///   - `4` byte string (`[UInt8]`): the raw bytes (the node's frame gives their length).
///
/// Keys are written, so a struct may gain optional fields or reorder them between versions; the
/// length prefixes let a reader skip what it does not need.
public struct BinaryStateEncoder {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let node = EncodingNode()
        try SingleNodeEncoder(node: node, codingPath: []).encode(value)
        var bytes: [UInt8] = []
        node.write(into: &bytes)
        return bytes
    }
}

/// What one `encode(to:)` produced, before it is written out.
final class EncodingNode {
    enum Content {
        case empty
        case null
        case primitive([UInt8])
        case keyed([(String, EncodingNode)])
        case unkeyed([EncodingNode])
        case bytes([UInt8])
    }

    var content: Content = .empty

    func write(into bytes: inout [UInt8]) {
        switch content {
        case .empty, .null:
            bytes.append(0)
        case .primitive(let raw):
            bytes.append(1)
            bytes.append(contentsOf: raw)
        case .keyed(let entries):
            bytes.append(2)
            Varint.write(UInt64(entries.count), into: &bytes)
            for (key, node) in entries {
                Varint.write(UInt64(key.utf8.count), into: &bytes)
                bytes.append(contentsOf: key.utf8)
                node.writeFramed(into: &bytes)
            }
        case .bytes(let raw):
            bytes.append(4)
            bytes.append(contentsOf: raw)
        case .unkeyed(let elements):
            bytes.append(3)
            Varint.write(UInt64(elements.count), into: &bytes)
            for node in elements { node.writeFramed(into: &bytes) }
        }
    }

    private func writeFramed(into bytes: inout [UInt8]) {
        var inner: [UInt8] = []
        write(into: &inner)
        Varint.write(UInt64(inner.count), into: &bytes)
        bytes.append(contentsOf: inner)
    }

    func appendKeyed(_ key: String) -> EncodingNode {
        let child = EncodingNode()
        if case .keyed(var entries) = content {
            entries.append((key, child))
            content = .keyed(entries)
        } else {
            content = .keyed([(key, child)])
        }
        return child
    }

    func appendUnkeyed() -> EncodingNode {
        let child = EncodingNode()
        if case .unkeyed(var elements) = content {
            elements.append(child)
            content = .unkeyed(elements)
        } else {
            content = .unkeyed([child])
        }
        return child
    }
}

enum Varint {
    static func write(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}

enum Primitive {
    static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func bytes(_ string: String) -> [UInt8] {
        var bytes: [UInt8] = []
        Varint.write(UInt64(string.utf8.count), into: &bytes)
        bytes.append(contentsOf: string.utf8)
        return bytes
    }
}

struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .empty = node.content { node.content = .keyed([]) }
        return KeyedEncodingContainer(KeyedNodeEncoder<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .empty = node.content { node.content = .unkeyed([]) }
        return UnkeyedNodeEncoder(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleNodeEncoder(node: node, codingPath: codingPath) }
}

struct SingleNodeEncoder: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    func encodeNil() throws { node.content = .null }
    func encode(_ value: Bool) throws { node.content = .primitive([value ? 1 : 0]) }
    func encode(_ value: String) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: Double) throws { node.content = .primitive(Primitive.bytes(value.bitPattern)) }
    func encode(_ value: Float) throws { node.content = .primitive(Primitive.bytes(value.bitPattern)) }
    func encode(_ value: Int) throws { node.content = .primitive(Primitive.bytes(Int64(value))) }
    func encode(_ value: Int8) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: Int16) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: Int32) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: Int64) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: UInt) throws { node.content = .primitive(Primitive.bytes(UInt64(value))) }
    func encode(_ value: UInt8) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: UInt16) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: UInt32) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode(_ value: UInt64) throws { node.content = .primitive(Primitive.bytes(value)) }
    func encode<T: Encodable>(_ value: T) throws {
        // By static type: a dynamic cast would also turn an empty [String] into [UInt8].
        if T.self == [UInt8].self {
            node.content = .bytes(value as! [UInt8])
        } else {
            try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
        }
    }
}

struct KeyedNodeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func child(_ key: Key) -> SingleNodeEncoder { SingleNodeEncoder(node: node.appendKeyed(key.stringValue), codingPath: codingPath + [key]) }

    func encodeNil(forKey key: Key) throws { try child(key).encodeNil() }
    func encode(_ value: Bool, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: String, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: Double, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: Float, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: Int, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: Int8, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: Int16, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: Int32, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: Int64, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: UInt, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: UInt8, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: UInt16, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: UInt32, forKey key: Key) throws { try child(key).encode(value) }
    func encode(_ value: UInt64, forKey key: Key) throws { try child(key).encode(value) }
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try child(key).encode(value) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.appendKeyed(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.appendKeyed(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }
    func superEncoder() -> any Encoder { NodeEncoder(node: node.appendKeyed("super"), codingPath: codingPath) }
    func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(node: node.appendKeyed(key.stringValue), codingPath: codingPath + [key]) }
}

struct UnkeyedNodeEncoder: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int {
        if case .unkeyed(let elements) = node.content { return elements.count }
        return 0
    }

    private func child() -> SingleNodeEncoder { SingleNodeEncoder(node: node.appendUnkeyed(), codingPath: codingPath) }

    mutating func encodeNil() throws { try child().encodeNil() }
    mutating func encode(_ value: Bool) throws { try child().encode(value) }
    mutating func encode(_ value: String) throws { try child().encode(value) }
    mutating func encode(_ value: Double) throws { try child().encode(value) }
    mutating func encode(_ value: Float) throws { try child().encode(value) }
    mutating func encode(_ value: Int) throws { try child().encode(value) }
    mutating func encode(_ value: Int8) throws { try child().encode(value) }
    mutating func encode(_ value: Int16) throws { try child().encode(value) }
    mutating func encode(_ value: Int32) throws { try child().encode(value) }
    mutating func encode(_ value: Int64) throws { try child().encode(value) }
    mutating func encode(_ value: UInt) throws { try child().encode(value) }
    mutating func encode(_ value: UInt8) throws { try child().encode(value) }
    mutating func encode(_ value: UInt16) throws { try child().encode(value) }
    mutating func encode(_ value: UInt32) throws { try child().encode(value) }
    mutating func encode(_ value: UInt64) throws { try child().encode(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try child().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.appendUnkeyed(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.appendUnkeyed(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.appendUnkeyed(), codingPath: codingPath) }
}
