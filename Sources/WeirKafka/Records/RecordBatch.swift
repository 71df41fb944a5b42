#if Gzip
import CompressNIO
#endif
import NIOCore
import Weir

/// A record batch in Kafka's v2 format (magic 2): the unit in which producers write, brokers
/// store and consumers fetch records, and which carries the producer id, epoch and sequence of
/// idempotent and transactional producers.
///
/// Layout: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc
/// uint32 (CRC-32C of everything after it), attributes int16, lastOffsetDelta int32,
/// baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
/// baseSequence int32, record count int32, records.
package struct RecordBatch: Sendable, Hashable {
    package enum TimestampType: Sendable, Hashable {
        /// The producer's timestamps.
        case createTime
        /// The broker's append time, the batch's `maxTimestamp` for every record.
        case logAppendTime
    }

    package var baseOffset: Int64
    package var partitionLeaderEpoch: Int32
    package var compression: CompressionCodec
    package var timestampType: TimestampType
    /// Written by a transactional producer: invisible to read_committed consumers until the
    /// producer's commit marker follows.
    package var isTransactional: Bool
    /// Holds a ``ControlRecord`` (commit or abort marker), not user data.
    package var isControl: Bool
    package var lastOffsetDelta: Int32
    package var baseTimestamp: Int64
    package var maxTimestamp: Int64
    package var producerID: Int64
    package var producerEpoch: Int16
    package var baseSequence: Int32
    /// With absolute offsets and timestamps.
    package var records: [KafkaRecord]

    static let headerSize = 61
    /// The most a compressed batch may expand to (no unbounded buffers): brokers cap a batch
    /// at `message.max.bytes`, 1 MiB by default, before compression.
    static let maxDecompressedSize = 64 << 20
    static let magic: Int8 = 2

    /// A batch to produce: offsets are assigned by the broker, so the records' offsets are
    /// ignored and numbered from 0.
    package init(records: [KafkaRecord], producerID: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
                isTransactional: Bool = false, isControl: Bool = false, compression: CompressionCodec = .none) {
        precondition(!records.isEmpty, "a record batch holds at least one record")
        self.baseOffset = 0
        self.partitionLeaderEpoch = -1
        self.compression = compression
        self.timestampType = .createTime
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.lastOffsetDelta = Int32(records.count - 1)
        self.baseTimestamp = records[0].timestamp
        self.maxTimestamp = records.lazy.map(\.timestamp).max()!
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.records = records.enumerated().map { index, record in
            var numbered = record
            numbered.offset = Int64(index)
            return numbered
        }
    }

    /// The offset of the batch's last record (records may have been removed by compaction;
    /// the next batch starts after this).
    package var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }

    // MARK: Encoding

    /// Appends the batch in wire format; the CRC is computed over the written bytes.
    package func write(to buffer: inout ByteBuffer) throws {
        guard compression == .none || compression == .gzip else { throw KafkaProtocolError.unsupportedCompression(compression, baseOffset: baseOffset) }
        let start = buffer.writerIndex
        buffer.writeInteger(baseOffset)
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))  // batchLength, set below
        buffer.writeInteger(partitionLeaderEpoch)
        buffer.writeInteger(Self.magic)
        let crcIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))  // crc, set below
        let checksummed = buffer.writerIndex
        buffer.writeInteger(attributes)
        buffer.writeInteger(lastOffsetDelta)
        buffer.writeInteger(baseTimestamp)
        buffer.writeInteger(maxTimestamp)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeInteger(baseSequence)
        buffer.writeInteger(Int32(records.count))
        if compression == .gzip {
            // The records, not the count before them, are compressed.
            var plain = ByteBuffer()
            for record in records { Self.write(record, relativeTo: self, to: &plain) }
            #if Gzip
            var compressed = try plain.compress(with: .gzip)
            buffer.writeBuffer(&compressed)
            #else
            throw KafkaProtocolError.compressionNotBuilt(compression, baseOffset: baseOffset)
            #endif
        } else {
            for record in records { Self.write(record, relativeTo: self, to: &buffer) }
        }
        buffer.setInteger(Int32(buffer.writerIndex - start - 12), at: lengthIndex)
        let crc = buffer.withUnsafeReadableBytes { bytes in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(checksummed - buffer.readerIndex)...]))
        }
        buffer.setInteger(crc, at: crcIndex)
    }

    private var attributes: Int16 {
        var bits = compression.rawValue
        if timestampType == .logAppendTime { bits |= 1 << 3 }
        if isTransactional { bits |= 1 << 4 }
        if isControl { bits |= 1 << 5 }
        return bits
    }

    private static func write(_ record: KafkaRecord, relativeTo batch: RecordBatch, to buffer: inout ByteBuffer) {
        let timestampDelta = record.timestamp - batch.baseTimestamp
        let offsetDelta = record.offset - batch.baseOffset
        var size = 1 + VarintSize.signed(timestampDelta) + VarintSize.signed(offsetDelta)
        size += bytesSize(record.key) + bytesSize(record.value) + VarintSize.signed(Int64(record.headers.count))
        for header in record.headers {
            size += VarintSize.signed(Int64(header.key.utf8.count)) + header.key.utf8.count + bytesSize(header.value)
        }
        buffer.writeVarint(Int32(size))
        buffer.writeInteger(Int8(0))  // record attributes: unused
        buffer.writeVarlong(timestampDelta)
        buffer.writeVarint(Int32(offsetDelta))
        writeBytes(record.key, to: &buffer)
        writeBytes(record.value, to: &buffer)
        buffer.writeVarint(Int32(record.headers.count))
        for header in record.headers {
            buffer.writeVarint(Int32(header.key.utf8.count))
            buffer.writeString(header.key)
            writeBytes(header.value, to: &buffer)
        }
    }

    private static func bytesSize(_ bytes: ByteBuffer?) -> Int {
        guard let bytes else { return 1 }
        return VarintSize.signed(Int64(bytes.readableBytes)) + bytes.readableBytes
    }

    private static func writeBytes(_ bytes: ByteBuffer?, to buffer: inout ByteBuffer) {
        guard var bytes else {
            buffer.writeVarint(-1)
            return
        }
        buffer.writeVarint(Int32(bytes.readableBytes))
        buffer.writeBuffer(&bytes)
    }

    // MARK: Decoding

    /// Reads the batches of a fetch response's record set. A fetch may end inside a batch (the
    /// broker cuts at the byte limit): that trailing part is left unread, not an error.
    package static func readAll(from buffer: inout ByteBuffer) throws -> [RecordBatch] {
        var batches: [RecordBatch] = []
        while buffer.readableBytes >= 12,
              let length = buffer.getInteger(at: buffer.readerIndex + 8, as: Int32.self),
              buffer.readableBytes >= 12 + Int(length) {
            guard length >= headerSize - 12 else {
                throw KafkaProtocolError.malformed("record batch length \(length) is shorter than a batch header")
            }
            var slice = buffer.readSlice(length: 12 + Int(length))!
            batches.append(try RecordBatch(reading: &slice))
        }
        return batches
    }

    /// Reads one whole batch (`buffer` holds exactly its bytes).
    package init(reading buffer: inout ByteBuffer) throws {
        baseOffset = try buffer.readKafka("baseOffset")
        let length: Int32 = try buffer.readKafka("batchLength")
        guard buffer.readableBytes >= Int(length) else { throw KafkaProtocolError.truncated("record batch at offset \(baseOffset)") }
        partitionLeaderEpoch = try buffer.readKafka("partitionLeaderEpoch")
        let magic: Int8 = try buffer.readKafka("magic")
        guard magic == Self.magic else { throw KafkaProtocolError.unsupportedMagic(magic, baseOffset: baseOffset) }
        let stored: UInt32 = try buffer.readKafka("crc")
        let computed = buffer.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<(Int(length) - 9)])) }
        guard stored == computed else { throw KafkaProtocolError.checksumMismatch(baseOffset: baseOffset, stored: stored, computed: computed) }
        let attributes: Int16 = try buffer.readKafka("attributes")
        guard let codec = CompressionCodec(rawValue: attributes & 0x7) else {
            throw KafkaProtocolError.malformed("record batch at offset \(baseOffset) names compression codec \(attributes & 0x7)")
        }
        compression = codec
        timestampType = attributes & (1 << 3) != 0 ? .logAppendTime : .createTime
        isTransactional = attributes & (1 << 4) != 0
        isControl = attributes & (1 << 5) != 0
        lastOffsetDelta = try buffer.readKafka("lastOffsetDelta")
        baseTimestamp = try buffer.readKafka("baseTimestamp")
        maxTimestamp = try buffer.readKafka("maxTimestamp")
        producerID = try buffer.readKafka("producerId")
        producerEpoch = try buffer.readKafka("producerEpoch")
        baseSequence = try buffer.readKafka("baseSequence")
        let count: Int32 = try buffer.readKafka("record count")
        // The records: what the batch length leaves after the 49 bytes of header read since it.
        guard let recordBytes = buffer.readSlice(length: Int(length) - (Self.headerSize - 12)) else { throw KafkaProtocolError.truncated("records of the batch at offset \(baseOffset)") }
        var body = recordBytes
        switch compression {
        case .none: break
        case .gzip:
            #if Gzip
            do {
                body = try body.decompress(with: .gzip, maxSize: Self.maxDecompressedSize)
            } catch {
                throw KafkaProtocolError.malformed("gzip batch at offset \(baseOffset) does not decompress (or exceeds \(Self.maxDecompressedSize >> 20) MiB): \(error)")
            }
            #else
            throw KafkaProtocolError.compressionNotBuilt(compression, baseOffset: baseOffset)
            #endif
        case .snappy, .lz4, .zstd:
            throw KafkaProtocolError.unsupportedCompression(compression, baseOffset: baseOffset)
        }
        guard count >= 0, Int(count) <= body.readableBytes else {
            throw KafkaProtocolError.malformed("record batch at offset \(baseOffset) claims \(count) records in \(body.readableBytes) bytes")
        }
        records = []
        records.reserveCapacity(Int(count))
        for _ in 0..<count {
            records.append(try Self.readRecord(from: &body, baseOffset: baseOffset, baseTimestamp: baseTimestamp,
                                               appendTime: timestampType == .logAppendTime ? maxTimestamp : nil))
        }
    }

    private static func readRecord(from buffer: inout ByteBuffer, baseOffset: Int64, baseTimestamp: Int64, appendTime: Int64?) throws -> KafkaRecord {
        let length = try buffer.readVarint("record length")
        guard length >= 0, var record = buffer.readSlice(length: Int(length)) else {
            throw KafkaProtocolError.truncated("record in the batch at offset \(baseOffset)")
        }
        _ = try record.readKafka("record attributes", as: Int8.self)
        let timestampDelta = try record.readVarlong("timestampDelta")
        let offsetDelta = try record.readVarint("offsetDelta")
        let key = try readBytes(from: &record, "record key")
        let value = try readBytes(from: &record, "record value")
        let headerCount = try record.readVarint("header count")
        guard headerCount >= 0, Int(headerCount) <= record.readableBytes else {
            throw KafkaProtocolError.malformed("record with \(headerCount) headers in \(record.readableBytes) bytes")
        }
        var headers: [KafkaHeader] = []
        for _ in 0..<headerCount {
            let keyLength = try record.readVarint("header key length")
            guard keyLength >= 0, let key = record.readString(length: Int(keyLength)) else { throw KafkaProtocolError.truncated("header key") }
            headers.append(KafkaHeader(key: key, value: try readBytes(from: &record, "header value")))
        }
        return KafkaRecord(offset: baseOffset + Int64(offsetDelta), timestamp: appendTime ?? baseTimestamp + timestampDelta,
                           key: key, value: value, headers: headers)
    }

    private static func readBytes(from buffer: inout ByteBuffer, _ what: String) throws -> ByteBuffer? {
        let length = try buffer.readVarint(what)
        guard length >= 0 else { return nil }
        guard let bytes = buffer.readSlice(length: Int(length)) else { throw KafkaProtocolError.truncated(what) }
        return bytes
    }
}
