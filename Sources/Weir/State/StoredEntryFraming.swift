/// The bytes of a key group's `[StoredEntry]` (what ``BinaryStateEncoder`` writes for it) put
/// together from, and taken apart into, the entries' encoded keys and values, without decoding
/// them: a disk-backed backend stores exactly those bytes, so its checkpoints and restores move
/// bytes instead of decoding and re-encoding every entry.
///
/// Layout (see ``BinaryStateEncoder``): an unkeyed node (`6`) of entries, each framed by its
/// varint length; an entry is an unkeyed node of three framed nodes: the key's node, the hash
/// (an integer node), the value's node. Blobs of the first format (`3`, `u32` counts and
/// lengths) are still read.
public struct StoredEntryFraming {
    /// The blob being built.
    public private(set) var bytes: [UInt8] = [NodeTag.unkeyed]
    /// Entries appended so far.
    public private(set) var count = 0
    /// The hash node of the entry being appended, reused: an array per entry would be an
    /// allocation per entry of a checkpoint.
    private var hashNode: [UInt8] = { var node: [UInt8] = []; node.reserveCapacity(9); return node }()

    /// An empty list of entries.
    public init() {}

    /// Appends an entry: `key` and `value` are nodes as ``BinaryStateEncoder`` writes them.
    public mutating func append(key: some Collection<UInt8>, hash: UInt64, value: some Collection<UInt8>) {
        hashNode.removeAll(keepingCapacity: true)
        IntegerNode.append(hash, to: &hashNode)
        let entryLength = 1 + Varint.length(of: UInt64(key.count)) + key.count + 1 + hashNode.count + Varint.length(of: UInt64(value.count)) + value.count
        Varint.append(UInt64(entryLength), to: &bytes)
        bytes.append(NodeTag.unkeyed)
        Varint.append(UInt64(key.count), to: &bytes)
        bytes.append(contentsOf: key)
        Varint.append(UInt64(hashNode.count), to: &bytes)
        bytes.append(contentsOf: hashNode)
        Varint.append(UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
        count += 1
    }

    /// Whether `blob` was written in the first format, whose keys were encoded differently: a
    /// disk-backed backend must re-encode them, or lookups with today's encoding would miss.
    public static func isFirstFormat(_ blob: [UInt8]) -> Bool { blob.first == NodeTag.countedUnkeyed }

    /// Calls `body` with each entry of `blob` (a key group's `[StoredEntry]`): the key's node, the
    /// hash, the value's node.
    /// - Throws: ``StateFormatError`` if `blob` is not a list of stored entries.
    public static func forEachEntry(in blob: [UInt8], _ body: (_ key: ArraySlice<UInt8>, _ hash: UInt64, _ value: ArraySlice<UInt8>) throws -> Void) throws {
        var reader = ByteReader(bytes: blob[...])
        switch try reader.byte() {
        case NodeTag.unkeyed:
            var index = 0
            while !reader.isAtEnd {
                var entry = ByteReader(bytes: try reader.take(try reader.length()))
                guard try entry.byte() == NodeTag.unkeyed else { throw StateFormatError.corrupt("entry \(index) of a key group is not (key, hash, value)") }
                let key = try entry.take(try entry.length())
                let hashNode = try entry.take(try entry.length())
                let hash = try SingleNodeDecoder(node: try DecodingNode.parse(hashNode), path: DecodingPath([])).decode(UInt64.self)
                let value = try entry.take(try entry.length())
                guard entry.isAtEnd else { throw StateFormatError.corrupt("entry \(index) of a key group has \(entry.remaining) trailing bytes") }
                try body(key, hash, value)
                index += 1
            }
        case NodeTag.countedUnkeyed:
            let count = try reader.u32()
            for index in 0..<count {
                var entry = ByteReader(bytes: try reader.take(try reader.u32()))
                guard try entry.byte() == NodeTag.countedUnkeyed, try entry.u32() == 3 else { throw StateFormatError.corrupt("entry \(index) of a key group is not (key, hash, value)") }
                let key = try entry.take(try entry.u32())
                var hashNode = ByteReader(bytes: try entry.take(try entry.u32()))
                guard try hashNode.byte() == NodeTag.primitive, hashNode.remaining == 8 else { throw StateFormatError.corrupt("entry \(index) of a key group has no 8-byte hash") }
                let hash = try hashNode.integer(UInt64.self)
                let value = try entry.take(try entry.u32())
                guard entry.isAtEnd else { throw StateFormatError.corrupt("entry \(index) of a key group has \(entry.remaining) trailing bytes") }
                try body(key, hash, value)
            }
            guard reader.isAtEnd else { throw StateFormatError.corrupt("\(reader.remaining) trailing bytes after a key group's entries") }
        default:
            throw StateFormatError.corrupt("a key group's entries are not a list")
        }
    }
}
