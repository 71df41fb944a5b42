import XCTest
@testable import Weir
import WeirTestSupport

final class BinaryStateFormatTests: XCTestCase {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case polygon([Int32])
        case rectangle(width: Double, height: Double)
        case none
    }

    struct Everything: Codable, Equatable {
        var int = -42
        var int8: Int8 = -8
        var uint64 = UInt64.max
        var double = 3.25
        var float: Float = -0.5
        var flag = true
        var text = "weir ✓"
        var optionalSet: String? = "here"
        var optionalNil: Int?
        var list = [1, 2, 3]
        var nested = [[String]]([["a"], [], ["b", "c"]])
        var byName = ["x": 1, "y": 2]
        var byNumber = [7: "seven", -1: "minus one"]
        var byStruct = [TimeWindow(start: 0, end: 10): 5]
        var shapes: [Shape] = [.circle(radius: 1.5), .polygon([1, 2]), .rectangle(width: 2, height: -3), .none]
        var bytes: [UInt8] = [0, 255, 7]
        var window = TimeWindow(start: -5, end: 5)
    }

    func testRoundTripOfEveryKindOfValue() throws {
        let value = Everything()
        let bytes = try BinaryStateEncoder().encode(value)
        XCTAssertEqual(try BinaryStateDecoder().decode(Everything.self, from: bytes), value)
    }

    /// A disk-backed backend frames the stored bytes of its entries into a checkpoint blob
    /// without decoding them, and takes blobs apart the same way: both must be exactly what the
    /// encoder writes for `[StoredEntry]`.
    func testStoredEntryFramingIsTheEncodersBytesForAListOfEntries() throws {
        let entries = [StoredEntry(key: "ann", hash: 7, value: Everything()),
                       StoredEntry(key: "", hash: .max, value: Everything(optionalSet: nil, list: [], byName: [:])),
                       StoredEntry(key: "bob ✓", hash: 0, value: Everything(int: 1))]
        let encoder = BinaryStateEncoder()
        var framing = StoredEntryFraming()
        for entry in entries { framing.append(key: try encoder.encode(entry.key), hash: entry.hash, value: try encoder.encode(entry.value)) }
        let expected = try encoder.encode(entries)
        XCTAssertEqual(framing.bytes, expected)
        XCTAssertEqual(framing.count, 3)

        var parsed: [(String, UInt64, Everything)] = []
        try StoredEntryFraming.forEachEntry(in: expected) { key, hash, value in
            parsed.append((try BinaryStateDecoder().decode(String.self, from: key), hash, try BinaryStateDecoder().decode(Everything.self, from: value)))
        }
        XCTAssertEqual(parsed.map(\.0), ["ann", "", "bob ✓"])
        XCTAssertEqual(parsed.map(\.1), [7, .max, 0])
        XCTAssertEqual(parsed.map(\.2), entries.map(\.value))
        XCTAssertEqual(StoredEntryFraming().bytes, try encoder.encode([StoredEntry<String, Int>]()), "no entries")
        XCTAssertThrowsError(try StoredEntryFraming.forEachEntry(in: Array(expected.dropLast())) { _, _, _ in }, "a truncated blob is refused")
        XCTAssertThrowsError(try StoredEntryFraming.forEachEntry(in: try encoder.encode([1, 2])) { _, _, _ in }, "a list of something else is refused")
    }

    func testPrimitivesAtTheTopLevel() throws {
        for value in [Int64.min, 0, 12_345] {
            XCTAssertEqual(try BinaryStateDecoder().decode(Int64.self, from: BinaryStateEncoder().encode(value)), value)
        }
        XCTAssertEqual(try BinaryStateDecoder().decode(String.self, from: BinaryStateEncoder().encode("")), "")
        XCTAssertEqual(try BinaryStateDecoder().decode([UInt8].self, from: BinaryStateEncoder().encode([UInt8](repeating: 9, count: 1_000))).count, 1_000)
        XCTAssertEqual(try BinaryStateEncoder().encode([UInt8](repeating: 9, count: 1_000)).count, 1_001, "bytes cost one tag byte, not three bytes each")
    }

    func testFieldsAddedLaterDecodeAsAbsent() throws {
        struct Old: Codable { var a = 1 }
        struct New: Codable { var a: Int; var b: String? }
        let decoded = try BinaryStateDecoder().decode(New.self, from: BinaryStateEncoder().encode(Old()))
        XCTAssertEqual(decoded.a, 1)
        XCTAssertNil(decoded.b)
    }

    /// Fields are found by name, not by position: a hand-written `Codable` may read them in
    /// another order than it wrote them, or skip some.
    func testFieldsAreFoundByNameInAnyOrder() throws {
        struct Written: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Field.self)
                try container.encode("last", forKey: .c)
                try container.encode(Int64(2), forKey: .b)
                try container.encode(Int64(1), forKey: .a)
            }
        }
        struct Read: Decodable {
            var a: Int64, b: Int64, c: String
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Field.self)
                a = try container.decode(Int64.self, forKey: .a)
                c = try container.decode(String.self, forKey: .c)
                b = try container.decode(Int64.self, forKey: .b)
                XCTAssertTrue(container.contains(.a) && container.contains(.b) && container.contains(.c))
                XCTAssertFalse(container.contains(.d))
                XCTAssertThrowsError(try container.decode(Int64.self, forKey: .d), "a field that was never written is an error, not a zero")
            }
        }
        let read = try BinaryStateDecoder().decode(Read.self, from: BinaryStateEncoder().encode(Written()))
        XCTAssertEqual([read.a, read.b], [1, 2])
        XCTAssertEqual(read.c, "last")
    }

    enum Field: String, CodingKey { case a, b, c, d }

    /// The whole value is checked before any of it is decoded: damage in a field the type does
    /// not read is refused too.
    func testDamageInAFieldTheTypeDoesNotReadIsRefused() throws {
        struct Two: Codable { var a: Int64 = 1; var b: [Int64] = [2, 3] }
        struct OnlyA: Codable { var a: Int64 }
        var bytes = try BinaryStateEncoder().encode(Two())
        XCTAssertEqual(try BinaryStateDecoder().decode(OnlyA.self, from: bytes).a, 1)
        // The list's tag (6), then its first element: a frame of 2 bytes holding the signed
        // varint 2 (8, zigzag 4). The frame's length made longer than the list.
        let list = try XCTUnwrap((0..<bytes.count - 3).first { Array(bytes[$0..<$0 + 4]) == [6, 2, 8, 4] })
        bytes[list + 1] = 9
        XCTAssertThrowsError(try BinaryStateDecoder().decode(OnlyA.self, from: bytes))
    }

    func testTruncatedOrGarbledDataIsRejectedNotMisread() throws {
        let bytes = try BinaryStateEncoder().encode(Everything())
        for cut in [1, bytes.count / 2, bytes.count - 1] {
            XCTAssertThrowsError(try BinaryStateDecoder().decode(Everything.self, from: bytes.prefix(cut)), "cut at \(cut)")
        }
        XCTAssertThrowsError(try BinaryStateDecoder().decode(Everything.self, from: [9, 9, 9]))
        XCTAssertThrowsError(try BinaryStateDecoder().decode(Int.self, from: BinaryStateEncoder().encode("text")))
    }

    /// A value carries field ids and varints, not names and fixed-width lengths: the reference
    /// event is 18 bytes (47 in the first format).
    func testValuesCarryNoFieldNames() throws {
        struct Event: Codable, Equatable { var key: Int; var value: Int64 }
        let event = Event(key: 1_234, value: 7)
        let bytes = try BinaryStateEncoder().encode(event)
        XCTAssertEqual(bytes.count, 18)
        XCTAssertNil((0...(bytes.count - 5)).first { Array(bytes[$0..<$0 + 5]) == Array("value".utf8) }, "no field name in the bytes")
        XCTAssertEqual(try BinaryStateDecoder().decode(Event.self, from: bytes), event)

        struct LongNames: Codable, Equatable { var aFieldWithAVeryLongName = 1; var anotherFieldWithAVeryLongName = "x" }
        let long = try BinaryStateEncoder().encode(LongNames())
        XCTAssertLessThan(long.count, 20, "names cost nothing")
        XCTAssertEqual(try BinaryStateDecoder().decode(LongNames.self, from: long), LongNames())
    }

    /// Names stay where a reader lists the keys: the lone case of an enum, and a dictionary's keys.
    func testListedKeysKeepTheirNames() throws {
        struct Listing: Decodable {
            var keys: [String]
            init(from decoder: any Decoder) throws {
                keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).sorted()
            }
        }
        XCTAssertEqual(try BinaryStateDecoder().decode(Listing.self, from: BinaryStateEncoder().encode(["b": 1, "a": 2, "c": 3])).keys, ["a", "b", "c"])
        XCTAssertEqual(try BinaryStateDecoder().decode(Listing.self, from: BinaryStateEncoder().encode(Shape.circle(radius: 2))).keys, ["circle"])
        XCTAssertEqual(try BinaryStateDecoder().decode(Shape.self, from: BinaryStateEncoder().encode(Shape.polygon([3, -4]))), .polygon([3, -4]))
        XCTAssertEqual(try BinaryStateDecoder().decode([Int: String].self, from: BinaryStateEncoder().encode([7: "seven", -1: "minus one"])), [7: "seven", -1: "minus one"])
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `field706648` and `field1148122` have the same FNV-1a id: a value with both cannot be
    /// read back field by field, so encoding it fails and says which to rename.
    func testTwoFieldsWithOneIDAreRefused() throws {
        struct Colliding: Encodable {
            var field706648 = 1
            var field1148122 = 2
        }
        XCTAssertEqual(FieldID.of("field706648"), FieldID.of("field1148122"))
        XCTAssertThrowsError(try BinaryStateEncoder().encode(Colliding())) { error in
            XCTAssertEqual(error as? StateFormatError, .fieldIDCollision("field1148122", path: "field1148122"))
            XCTAssertTrue("\(error)".contains("rename one of them"), "\(error)")
        }
        struct Twice: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Field.self)
                try container.encode(1, forKey: .a)
                try container.encode(2, forKey: .b)
                try container.encode(3, forKey: .a)
            }
        }
        XCTAssertThrowsError(try BinaryStateEncoder().encode(Twice()), "a field written twice is refused, not read as the first")
    }

    /// Integers are varints when that is shorter, fixed-width otherwise; every width and sign
    /// round-trips at its extremes, and a stored integer that does not fit the type read is an
    /// error, not a truncation.
    func testIntegersAtTheirExtremes() throws {
        func roundTrip<T: FixedWidthInteger & Codable>(_ values: [T]) throws {
            for value in values { XCTAssertEqual(try BinaryStateDecoder().decode(T.self, from: BinaryStateEncoder().encode(value)), value, "\(T.self) \(value)") }
        }
        try roundTrip([Int64.min, -1, 0, 1, 63, 64, -65, Int64.max])
        try roundTrip([Int.min, Int.max])
        try roundTrip([Int32.min, Int32.max])
        try roundTrip([Int16.min, Int16.max])
        try roundTrip([Int8.min, Int8.max])
        try roundTrip([UInt64.max, 1 << 56, (1 << 56) - 1, 127, 128])
        try roundTrip([UInt64(UInt32.max), UInt64(UInt16.max), UInt64(UInt8.max)])
        try roundTrip([UInt32.max]); try roundTrip([UInt16.max]); try roundTrip([UInt8.max])
        XCTAssertEqual(try BinaryStateEncoder().encode(Int64(3)), [8, 6], "a small integer is two bytes")
        XCTAssertEqual(try BinaryStateEncoder().encode(UInt64(3)), [7, 3])
        XCTAssertEqual(try BinaryStateEncoder().encode(UInt64.max).count, 9, "never longer than the fixed width")
        XCTAssertThrowsError(try BinaryStateDecoder().decode(Int8.self, from: BinaryStateEncoder().encode(Int64(1_000))))
        XCTAssertThrowsError(try BinaryStateDecoder().decode(UInt32.self, from: BinaryStateEncoder().encode(Int64(-1))))
    }

    /// Frames of 128 bytes and more need longer varint lengths: the bytes move, the value holds.
    func testLargeNestedValues() throws {
        struct Big: Codable, Equatable { var text: String; var blob: [UInt8]; var list: [[Int]]; var tail = 5 }
        let big = Big(text: String(repeating: "w", count: 300), blob: Array(repeating: 1, count: 20_000), list: [Array(0..<100), [], Array(0..<3_000)])
        XCTAssertEqual(try BinaryStateDecoder().decode(Big.self, from: BinaryStateEncoder().encode(big)), big)
        XCTAssertEqual(try BinaryStateDecoder().decode([Big].self, from: BinaryStateEncoder().encode([big, big])), [big, big])
    }

    /// Checkpoints of the first format (names, `u32` counts and lengths, fixed-width integers)
    /// still restore: bytes written here by hand from that format's description.
    func testTheFirstFormatIsStillRead() throws {
        let int64 = FirstStateFormat.int64, keyed = FirstStateFormat.keyed, unkeyed = FirstStateFormat.unkeyed

        struct Two: Codable, Equatable { var a: Int64; var b: [Int64] }
        let old = keyed([("b", unkeyed([int64(2), int64(3)])), ("a", int64(1))])
        XCTAssertEqual(try BinaryStateDecoder().decode(Two.self, from: old), Two(a: 1, b: [2, 3]))
        XCTAssertEqual(try BinaryStateDecoder().decode(Shape.self, from: keyed([("circle", keyed([("radius", [1] + withUnsafeBytes(of: 1.5.bitPattern.littleEndian) { Array($0) })]))])), .circle(radius: 1.5))

        let blob = unkeyed([unkeyed([int64(42), int64(7), old]), unkeyed([int64(-3), int64(8), keyed([("a", int64(0)), ("b", unkeyed([]))])])])
        XCTAssertTrue(StoredEntryFraming.isFirstFormat(blob))
        var entries: [(Int, UInt64, Two)] = []
        try StoredEntryFraming.forEachEntry(in: blob) { key, hash, value in
            entries.append((try BinaryStateDecoder().decode(Int.self, from: key), hash, try BinaryStateDecoder().decode(Two.self, from: value)))
        }
        XCTAssertEqual(entries.map(\.0), [42, -3])
        XCTAssertEqual(entries.map(\.1), [7, 8])
        XCTAssertEqual(entries.map(\.2), [Two(a: 1, b: [2, 3]), Two(a: 0, b: [])])
        XCTAssertEqual(try BinaryStateDecoder().decode([StoredEntry<Int, Two>].self, from: blob).map(\.key), [42, -3], "the heap backend decodes it too")
        XCTAssertFalse(StoredEntryFraming.isFirstFormat(try BinaryStateEncoder().encode([StoredEntry(key: 1, hash: 2, value: 3)])))
    }

    /// A checkpoint file of version 1 (its payload in the first format) is read; a version this
    /// Weir does not know is refused with the reason.
    func testCheckpointFilesOfVersion1AreReadAndNewerOnesRefused() throws {
        struct Two: Codable, Equatable { var a: Int64; var b: [Int64] }
        func file(version: UInt16, payload: [UInt8]) -> [UInt8] {
            var bytes = Array("WEIRCKPT".utf8) + Primitive.bytes(version) + [CheckpointFileFormat.Kind.metadata.rawValue] + Primitive.bytes(UInt64(payload.count)) + payload
            bytes += Primitive.bytes(CRC32C.checksum(bytes))
            return bytes
        }
        let old = FirstStateFormat.keyed([("a", FirstStateFormat.int64(5)), ("b", FirstStateFormat.unkeyed([FirstStateFormat.int64(6)]))])
        XCTAssertEqual(try CheckpointFileFormat.decode(Two.self, kind: .metadata, from: file(version: 1, payload: old), path: "chk-1/_metadata"), Two(a: 5, b: [6]))
        let current = try CheckpointFileFormat.encode(Two(a: 5, b: [6]), kind: .metadata)
        XCTAssertEqual(Array(current[8..<10]), [2, 0], "files are written as version 2")
        XCTAssertEqual(try CheckpointFileFormat.decode(Two.self, kind: .metadata, from: current, path: "chk-2/_metadata"), Two(a: 5, b: [6]))
        XCTAssertThrowsError(try CheckpointFileFormat.decode(Two.self, kind: .metadata, from: file(version: 3, payload: Array(current[19..<(current.count - 4)])), path: "chk-3/_metadata")) { error in
            XCTAssertTrue("\(error)".contains("format version 3") && "\(error)".contains("newer Weir"), "\(error)")
        }
    }

    func testCRC32CMatchesTheStandardCheckValue() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xe306_9283)
        let whole = CRC32C.checksum(Array("hello world".utf8))
        XCTAssertEqual(CRC32C.checksum(Array(" world".utf8), continuing: CRC32C.checksum(Array("hello".utf8))), whole)
    }

    func testDurableWriteReplacesAtomically() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-durable-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/_metadata"
        try DurableFile.write(Array("first".utf8), to: path)
        try DurableFile.write(Array("second".utf8), to: path)
        XCTAssertEqual(try DurableFile.read(path), Array("second".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["_metadata"], "no temporary file is left behind")
        XCTAssertThrowsError(try DurableFile.read(directory + "/missing")) { XCTAssertTrue("\($0)".contains("missing")) }
    }
}
