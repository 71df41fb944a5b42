import Foundation
import NIOCore
import WeirKafka
import XCTest
import WeirKafkaTestSupport

/// Records written by WeirKafka are read by confluent-kafka (librdkafka), and the other way
/// round, through a real broker (noida-db): two independent implementations of the record
/// batch format, its CRC-32C and varints.
final class ConfluentInteropTests: XCTestCase {
    func testRecordsCrossBetweenWeirAndConfluentKafkaBothWays() async throws { try await recordsCrossBetweenWeirAndConfluentKafkaBothWays(on: .noida) }
    func testRecordsCrossBetweenWeirAndConfluentKafkaBothWaysOnTansu() async throws { try await recordsCrossBetweenWeirAndConfluentKafkaBothWays(on: .tansu) }

    private func recordsCrossBetweenWeirAndConfluentKafkaBothWays(on kind: KafkaTestBroker.Kind) async throws {
        let python = try ConfluentPeer.python()
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let bootstrap = "\(broker.address.host):\(broker.address.port)"
        let connection = try await BrokerConnection.connect(to: broker.address, configuration: KafkaClientConfiguration())
        let topic = "weir-interop"
        _ = try await connection.send(CreateTopicsRequest(topics: [.init(name: topic, partitions: 2)]), timeout: .seconds(10))

        // Weir → confluent-kafka, partition 0. Real timestamps: with records dated 0 (1970)
        // noida-db answered a fetch at offset 0 with OFFSET_OUT_OF_RANGE (cause not established).
        let base = Int64(Date().timeIntervalSince1970 * 1_000)
        let records = (0..<5).map { i in
            KafkaRecord(timestamp: base + Int64(i), key: i == 3 ? nil : ByteBuffer(string: "weir-key-\(i)"), value: ByteBuffer(string: "weir-value-\(i)"),
                        headers: [KafkaHeader(key: "n", value: ByteBuffer(string: "\(i)"))])
        }
        let produced = try await connection.send(try ProduceRequest(data: [.init(topic: topic, partition: 0, batch: RecordBatch(records: records))]), timeout: .seconds(10))
        XCTAssertEqual(produced.map(\.errorCode), [.none])
        let read = try ConfluentPeer.run(python, ["consume", bootstrap, topic, "0", "5", "read_committed"])
            .split(separator: "\n").map { try JSONDecoder().decode(ConfluentPeer.Record.self, from: Data($0.utf8)) }
        XCTAssertEqual(read, (0..<5).map { i in
            ConfluentPeer.Record(offset: Int64(i), timestamp: base + Int64(i), key: i == 3 ? nil : "weir-key-\(i)", value: "weir-value-\(i)", headers: [["n", "\(i)"]])
        })

        // confluent-kafka → Weir, partition 1.
        _ = try ConfluentPeer.run(python, ["produce", bootstrap, topic, "1", "7"])
        let fetched = try await connection.send(FetchRequest(partitions: [.init(topic: topic, partition: 1, offset: 0)], isolationLevel: .readCommitted), timeout: .seconds(10))
        var bytes = try XCTUnwrap(fetched.first).records
        let got = try RecordBatch.readAll(from: &bytes).flatMap(\.records)
        XCTAssertEqual(got.map(\.offset), Array(0..<7))
        XCTAssertEqual(got.map { $0.timestamp - got[0].timestamp }, (0..<7).map { Int64($0) }, "the peer's timestamps, now + i")
        XCTAssertLessThan(abs(got[0].timestamp - base), 60_000)
        XCTAssertEqual(got.map { $0.key.map { String(buffer: $0) } }, (0..<7).map { "key-\($0)" })
        XCTAssertEqual(got.map { $0.value.map { String(buffer: $0) } }, (0..<7).map { "value-\($0)" })
        XCTAssertEqual(got.map { $0.headers.map { [$0.key, $0.value.map { String(buffer: $0) }] } }, (0..<7).map { [["n", "\($0)"]] })
        await connection.close()
    }

    /// gzip batches both ways; an lz4 batch from confluent-kafka is refused with the codec named.
    func testCompressedBatchesCrossBothWays() async throws { try await compressedBatchesCrossBothWays(on: .noida) }
    func testCompressedBatchesCrossBothWaysOnTansu() async throws { try await compressedBatchesCrossBothWays(on: .tansu) }

    private func compressedBatchesCrossBothWays(on kind: KafkaTestBroker.Kind) async throws {
        #if !Gzip
        throw XCTSkip("built without the package trait Gzip (no zlib)")
        #endif
        let python = try ConfluentPeer.python()
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let bootstrap = "\(broker.address.host):\(broker.address.port)"
        let client = KafkaClient(bootstrap: [broker.address])
        let topic = "weir-compressed"
        try await client.createTopic(topic, partitions: 3)

        let base = Int64(Date().timeIntervalSince1970 * 1_000)
        let records = (0..<50).map { KafkaRecord(timestamp: base + Int64($0), key: nil, value: ByteBuffer(string: "gzip-\($0)")) }
        _ = try await client.produce(RecordBatch(records: records, compression: .gzip), topic: topic, partition: 0)
        let read = try ConfluentPeer.run(python, ["consume", bootstrap, topic, "0", "50", "read_committed"])
            .split(separator: "\n").map { try JSONDecoder().decode(ConfluentPeer.Record.self, from: Data($0.utf8)).value }
        XCTAssertEqual(read, (0..<50).map { "gzip-\($0)" })

        _ = try ConfluentPeer.run(python, ["produce", bootstrap, topic, "1", "30", "gzip"])
        var gzipped = try await client.fetch(topic: topic, partition: 1, offset: 0).records
        let batches = try RecordBatch.readAll(from: &gzipped)
        XCTAssertEqual(Set(batches.map(\.compression)), [.gzip], "confluent-kafka compressed them")
        XCTAssertEqual(batches.flatMap(\.records).map { $0.value.map { String(buffer: $0) } }, (0..<30).map { "value-\($0)" })

        _ = try ConfluentPeer.run(python, ["produce", bootstrap, topic, "2", "5", "lz4"])
        var lz4 = try await client.fetch(topic: topic, partition: 2, offset: 0).records
        XCTAssertThrowsError(try RecordBatch.readAll(from: &lz4)) { error in
            XCTAssertEqual(error as? KafkaProtocolError, .unsupportedCompression(.lz4, baseOffset: 0))
        }
        await client.close()
    }
}
