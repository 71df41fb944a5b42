import XCTest
@testable import Weir

final class BinaryStateFormatTests: XCTestCase {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case polygon([Int32])
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
        var shapes: [Shape] = [.circle(radius: 1.5), .polygon([1, 2]), .none]
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
                XCTAssertEqual(Set(container.allKeys.map(\.stringValue)), ["a", "b", "c"])
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
        // The list's tag (3) and element count (2): one more element than its frame holds.
        let list = try XCTUnwrap((0..<bytes.count - 4).first { Array(bytes[$0..<$0 + 5]) == [3, 2, 0, 0, 0] })
        bytes[list + 1] = 3
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
