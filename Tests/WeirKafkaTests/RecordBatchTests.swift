import NIOCore
import Weir
@testable import WeirKafka
import XCTest

/// Kafka's record batch v2 format, CRC-32C and variable-length integers, checked against
/// published values and by round trips.
final class RecordBatchTests: XCTestCase {
    func testCRC32CMatchesPublishedValues() {
        // RFC 3720 (iSCSI), appendix B.4, and the usual check value of "123456789".
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map(UInt8.init)), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
    }

    func testCRC32CEightBytesAtATimeEqualsBitwiseAtEveryLengthAndSplit() {
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            XCTAssertEqual(CRC32C.checksum(bytes), bitwise(bytes), "length \(length)")
            let split = length / 3
            let first = bytes[..<split].withUnsafeBytes { CRC32C.checksum($0) }
            let whole = bytes[split...].withUnsafeBytes { CRC32C.checksum($0, continuing: first) }
            XCTAssertEqual(whole, bitwise(bytes), "length \(length) in two parts")
        }
    }

    func testVarintsAreZigZagLEB128() throws {
        let expected: [(Int64, [UInt8])] = [(0, [0x00]), (-1, [0x01]), (1, [0x02]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]), (300, [0xD8, 0x04])]
        for (value, bytes) in expected {
            var buffer = ByteBuffer()
            buffer.writeVarint(Int32(value))
            XCTAssertEqual(Array(buffer.readableBytesView), bytes, "varint \(value)")
            XCTAssertEqual(VarintSize.signed(value), bytes.count)
            var long = ByteBuffer()
            long.writeVarlong(value)
            XCTAssertEqual(Array(long.readableBytesView), bytes, "varlong \(value)")
        }
        for value in [Int32.min, Int32.max, -123_456, 123_456] {
            var buffer = ByteBuffer()
            buffer.writeVarint(value)
            XCTAssertEqual(try buffer.readVarint("test"), value)
            XCTAssertEqual(buffer.readableBytes, 0)
        }
        for value in [Int64.min, Int64.max, -1_700_000_000_000, 1_700_000_000_000] {
            var buffer = ByteBuffer()
            buffer.writeVarlong(value)
            XCTAssertEqual(buffer.readableBytes, VarintSize.signed(value))
            XCTAssertEqual(try buffer.readVarlong("test"), value)
        }
        var tooLong = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        XCTAssertThrowsError(try tooLong.readVarint("a field")) { XCTAssertTrue("\($0)".contains("longer than 32 bits"), "\($0)") }
        var cut = ByteBuffer(bytes: [0x80])
        XCTAssertThrowsError(try cut.readVarint("the field's name")) { XCTAssertTrue("\($0)".contains("the field's name"), "\($0)") }
    }

    func testBatchRoundTripKeepsKeysValuesHeadersNullsAndTimestamps() throws {
        let records = [
            KafkaRecord(timestamp: 1_700_000_000_000, key: ByteBuffer(string: "key-1"), value: ByteBuffer(string: "value-1"),
                        headers: [KafkaHeader(key: "trace", value: ByteBuffer(string: "abc")), KafkaHeader(key: "empty", value: nil)]),
            KafkaRecord(timestamp: 1_699_999_999_000, key: nil, value: ByteBuffer(string: "no key; earlier timestamp")),
            KafkaRecord(timestamp: 1_700_000_000_500, key: ByteBuffer(string: "tombstone"), value: nil),
            KafkaRecord(timestamp: 1_700_000_000_500, key: ByteBuffer(), value: ByteBuffer(bytes: [UInt8](repeating: 7, count: 1_000))),
        ]
        var batch = RecordBatch(records: records, producerID: 4_711, producerEpoch: 3, baseSequence: 42, isTransactional: true)
        var buffer = ByteBuffer()
        try batch.write(to: &buffer)
        // The broker assigns offsets by rewriting baseOffset (outside the CRC).
        buffer.setInteger(Int64(1_000), at: buffer.readerIndex)
        batch.baseOffset = 1_000
        for index in batch.records.indices { batch.records[index].offset += 1_000 }
        let read = try RecordBatch.readAll(from: &buffer)
        XCTAssertEqual(buffer.readableBytes, 0)
        XCTAssertEqual(read.count, 1)
        let decoded = try XCTUnwrap(read.first)
        XCTAssertEqual(decoded.records.map(\.offset), [1_000, 1_001, 1_002, 1_003])
        XCTAssertEqual(decoded.lastOffset, 1_003)
        XCTAssertEqual(decoded.records.map(\.timestamp), records.map(\.timestamp))
        XCTAssertEqual(decoded.records.map(\.key), records.map(\.key))
        XCTAssertEqual(decoded.records.map(\.value), records.map(\.value))
        XCTAssertEqual(decoded.records[0].headers, records[0].headers)
        XCTAssertEqual(decoded.maxTimestamp, 1_700_000_000_500)
        XCTAssertEqual(decoded.baseTimestamp, 1_700_000_000_000)
        XCTAssertEqual([decoded.producerID, Int64(decoded.producerEpoch), Int64(decoded.baseSequence)], [4_711, 3, 42])
        XCTAssertTrue(decoded.isTransactional)
        XCTAssertFalse(decoded.isControl)
        XCTAssertEqual(decoded, batch)
    }

    func testCorruptedBatchIsRejectedWithItsOffset() throws {
        var buffer = ByteBuffer()
        try RecordBatch(records: [KafkaRecord(timestamp: 1, key: nil, value: ByteBuffer(string: "payload"))]).write(to: &buffer)
        let last = buffer.writerIndex - 1
        buffer.setInteger(buffer.getInteger(at: last, as: UInt8.self)! ^ 0x01, at: last)
        XCTAssertThrowsError(try RecordBatch.readAll(from: &buffer)) { error in
            guard case KafkaProtocolError.checksumMismatch(let offset, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(offset, 0)
            XCTAssertTrue("\(error)".contains("corrupt"), "\(error)")
        }
    }

    func testFetchCutInsideTheLastBatchReadsTheWholeOnesAndLeavesTheRest() throws {
        var buffer = ByteBuffer()
        for index in 0..<3 {
            var batch = RecordBatch(records: [KafkaRecord(timestamp: Int64(index), key: nil, value: ByteBuffer(string: "record \(index)"))])
            batch.baseOffset = Int64(index)
            try batch.write(to: &buffer)
        }
        var cut = buffer.getSlice(at: 0, length: buffer.readableBytes - 5)!
        let batches = try RecordBatch.readAll(from: &cut)
        XCTAssertEqual(batches.map(\.baseOffset), [0, 1])
        XCTAssertGreaterThan(cut.readableBytes, 0, "the partial batch stays unread")
    }

    func testOldFormatsAndUnknownCodecsAreNamedInTheError() throws {
        var buffer = ByteBuffer()
        try RecordBatch(records: [KafkaRecord(timestamp: 1, key: nil, value: ByteBuffer(string: "x"))]).write(to: &buffer)
        var legacy = buffer
        legacy.setInteger(Int8(1), at: 16)  // magic
        XCTAssertThrowsError(try RecordBatch.readAll(from: &legacy)) { XCTAssertTrue("\($0)".contains("magic 2"), "\($0)") }

        // An lz4 batch from another producer: the attributes say lz4 (and the CRC is right).
        var lz4 = buffer
        lz4.setInteger(Int16(CompressionCodec.lz4.rawValue), at: 21)
        let crc = lz4.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        lz4.setInteger(crc, at: 17)
        XCTAssertThrowsError(try RecordBatch.readAll(from: &lz4)) { error in
            XCTAssertEqual(error as? KafkaProtocolError, .unsupportedCompression(.lz4, baseOffset: 0))
            XCTAssertTrue("\(error)".contains("lz4"), "\(error)")
        }
    }

    /// Without zlib (the trait Gzip off) a gzip batch is refused with what to do, not misread.
    func testGzipWithoutTheTraitIsRefusedNamingIt() throws {
        #if Gzip
        throw XCTSkip("built with the package trait Gzip")
        #else
        let records = [KafkaRecord(timestamp: 0, key: nil, value: ByteBuffer(string: "x"))]
        var buffer = ByteBuffer()
        XCTAssertThrowsError(try RecordBatch(records: records, compression: .gzip).write(to: &buffer)) { error in
            XCTAssertTrue("\(error)".contains("trait Gzip"), "\(error)")
        }
        #endif
    }

    func testGzipBatchRoundTripsAndIsSmaller() throws {
        #if !Gzip
        throw XCTSkip("built without the package trait Gzip (no zlib)")
        #endif
        let records = (0..<200).map { KafkaRecord(timestamp: Int64($0), key: ByteBuffer(string: "key-\($0 % 5)"), value: ByteBuffer(string: String(repeating: "weir ", count: 20))) }
        var plain = ByteBuffer()
        try RecordBatch(records: records).write(to: &plain)
        var compressed = ByteBuffer()
        try RecordBatch(records: records, compression: .gzip).write(to: &compressed)
        XCTAssertLessThan(compressed.readableBytes, plain.readableBytes / 5)
        let batch = try XCTUnwrap(RecordBatch.readAll(from: &compressed).first)
        XCTAssertEqual(batch.compression, .gzip)
        XCTAssertEqual(batch.records.map(\.value), records.map(\.value))
        XCTAssertEqual(batch.records.map(\.offset), Array(0..<200))
    }

    func testControlBatchCarriesTheCommitOrAbortMarker() throws {
        for kind in [ControlRecord.Kind.commit, .abort] {
            let marker = ControlRecord(kind: kind, coordinatorEpoch: 9)
            var buffer = ByteBuffer()
            try RecordBatch(records: [marker.record(timestamp: 5)], producerID: 12, producerEpoch: 0, isTransactional: true, isControl: true).write(to: &buffer)
            let batch = try XCTUnwrap(RecordBatch.readAll(from: &buffer).first)
            XCTAssertTrue(batch.isControl && batch.isTransactional)
            XCTAssertEqual(try ControlRecord(batch.records[0]), marker)
        }
    }
}
