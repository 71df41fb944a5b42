/// The bytes of a key group's `[StoredEntry]` (what ``BinaryStateEncoder`` writes for it) put
/// together from, and taken apart into, the entries' encoded keys and values, without decoding
/// them: a disk-backed backend stores exactly those bytes, so its checkpoints and restores move
/// bytes instead of decoding and re-encoding every entry.
///
/// Layout (see ``BinaryStateEncoder``): an unkeyed node (`3`, count) of entries, each framed by
/// its length; an entry is an unkeyed node of three framed nodes: the key's node, the hash (a
/// primitive: `1` and 8 little-endian bytes), the value's node.
public struct StoredEntryFraming {
    /// The blob being built.
    public private(set) var bytes: [UInt8] = [3, 0, 0, 0, 0]
    /// Entries appended so far.
    public private(set) var count = 0

    /// An empty list of entries.
    public init() {}

    /// Appends an entry: `key` and `value` are nodes as ``BinaryStateEncoder`` writes them.
    public mutating func append(key: some Collection<UInt8>, hash: UInt64, value: some Collection<UInt8>) {
        let entryLength = 1 + 4 + (4 + key.count) + (4 + 9) + (4 + value.count)
        appendU32(entryLength)
        bytes.append(3)
        appendU32(3)
        appendU32(key.count)
        bytes.append(contentsOf: key)
        appendU32(9)
        bytes.append(1)
        withUnsafeBytes(of: hash.littleEndian) { bytes.append(contentsOf: $0) }
        appendU32(value.count)
        bytes.append(contentsOf: value)
        count += 1
        withUnsafeBytes(of: UInt32(count).littleEndian) { raw in
            for index in 0..<4 { bytes[1 + index] = raw[index] }
        }
    }

    private mutating func appendU32(_ value: Int) {
        withUnsafeBytes(of: UInt32(value).littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Calls `body` with each entry of `blob` (a key group's `[StoredEntry]`): the key's node, the
    /// hash, the value's node.
    /// - Throws: ``StateFormatError`` if `blob` is not a list of stored entries.
    public static func forEachEntry(in blob: [UInt8], _ body: (_ key: ArraySlice<UInt8>, _ hash: UInt64, _ value: ArraySlice<UInt8>) throws -> Void) throws {
        var reader = ByteReader(bytes: blob[...])
        guard try reader.byte() == 3 else { throw StateFormatError.corrupt("a key group's entries are not a list") }
        let count = try reader.u32()
        for index in 0..<count {
            var entry = ByteReader(bytes: try reader.take(try reader.u32()))
            guard try entry.byte() == 3, try entry.u32() == 3 else { throw StateFormatError.corrupt("entry \(index) of a key group is not (key, hash, value)") }
            let key = try entry.take(try entry.u32())
            var hashNode = ByteReader(bytes: try entry.take(try entry.u32()))
            guard try hashNode.byte() == 1, hashNode.remaining == 8 else { throw StateFormatError.corrupt("entry \(index) of a key group has no 8-byte hash") }
            let hash = try hashNode.integer(UInt64.self)
            let value = try entry.take(try entry.u32())
            guard entry.isAtEnd else { throw StateFormatError.corrupt("entry \(index) of a key group has \(entry.remaining) trailing bytes") }
            try body(key, hash, value)
        }
        guard reader.isAtEnd else { throw StateFormatError.corrupt("\(reader.remaining) trailing bytes after a key group's entries") }
    }
}
