/// The frame around every checkpoint file: magic, version, kind, payload length, payload
/// (``BinaryStateEncoder``), CRC-32C of everything before it.
///
/// ```
/// offset  size  field
/// 0       8     magic "WEIRCKPT"
/// 8       2     format version (little-endian), currently 2 (1: the state encoding's first
///               format, with field names; still read)
/// 10      1     kind: 1 operator state, 2 metadata
/// 11      8     payload length n (little-endian)
/// 19      n     payload
/// 19+n    4     CRC-32C of bytes 0..<19+n (little-endian)
/// ```
@usableFromInline enum CheckpointFileFormat {
    @usableFromInline static let magic = Array("WEIRCKPT".utf8)
    @usableFromInline static let version: UInt16 = 2
    /// The versions this Weir reads: the payload decoder reads both state formats.
    @usableFromInline static let readableVersions: ClosedRange<UInt16> = 1...2

    @usableFromInline enum Kind: UInt8 {
        case operatorState = 1
        case metadata = 2
    }

    @usableFromInline static func encode<T: Encodable>(_ value: T, kind: Kind) throws -> [UInt8] {
        let payload = try BinaryStateEncoder().encode(value)
        var bytes = magic
        bytes += Primitive.bytes(version)
        bytes.append(kind.rawValue)
        bytes += Primitive.bytes(UInt64(payload.count))
        bytes += payload
        bytes += Primitive.bytes(CRC32C.checksum(bytes))
        return bytes
    }

    /// Decodes a file, verifying its frame and checksum; errors name `path`.
    @usableFromInline static func decode<T: Decodable>(_ type: T.Type, kind: Kind, from bytes: [UInt8], path: String) throws -> T {
        guard bytes.count >= 23, Array(bytes[0..<8]) == magic else {
            throw CheckpointError.corruptFile(path: path, reason: "not a Weir checkpoint file (bad magic or too short)")
        }
        var reader = ByteReader(bytes: bytes[8...])
        let version = try reader.integer(UInt16.self)
        guard readableVersions.contains(version) else {
            throw CheckpointError.corruptFile(path: path, reason: "format version \(version), this Weir reads versions \(readableVersions.lowerBound) to \(readableVersions.upperBound) (a newer Weir wrote it?)")
        }
        guard try reader.byte() == kind.rawValue else { throw CheckpointError.corruptFile(path: path, reason: "not a \(kind) file") }
        let length = try reader.integer(UInt64.self)
        guard length == UInt64(bytes.count - 23) else {
            throw CheckpointError.corruptFile(path: path, reason: "payload length \(length) does not match the file size \(bytes.count)")
        }
        let stored = UInt32(littleEndian: bytes[(bytes.count - 4)...].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        let computed = CRC32C.checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else {
            throw CheckpointError.corruptFile(path: path, reason: "checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16)))")
        }
        do {
            return try BinaryStateDecoder().decode(T.self, from: bytes[19..<(bytes.count - 4)])
        } catch {
            throw CheckpointError.corruptFile(path: path, reason: "\(error)")
        }
    }
}
