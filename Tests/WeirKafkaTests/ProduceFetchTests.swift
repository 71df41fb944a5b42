import Foundation
import NIOCore
import WeirKafka
import XCTest
import WeirKafkaTestSupport

/// Produce, ListOffsets and Fetch round trips against both real brokers (noida-db, Tansu).
final class ProduceFetchTests: XCTestCase {
    func testProducedBatchesComeBackFromFetchWithOffsetsKeysValuesAndHeaders() async throws {
        try await producedBatchesComeBack(on: .noida)
    }

    func testProducedBatchesComeBackFromFetchOnTansu() async throws {
        try await producedBatchesComeBack(on: .tansu)
    }

    func testFetchOfAnUnknownPartitionNamesTheError() async throws {
        try await fetchOfAnUnknownPartition(on: .noida)
    }

    func testFetchOfAnUnknownPartitionNamesTheErrorOnTansu() async throws {
        try await fetchOfAnUnknownPartition(on: .tansu)
    }

    private func producedBatchesComeBack(on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let connection = try await BrokerConnection.connect(to: broker.address, configuration: KafkaClientConfiguration())
        let topic = "weir-round-trip"
        let created = try await connection.send(CreateTopicsRequest(topics: [.init(name: topic, partitions: 2)]), timeout: .seconds(10))
        XCTAssertEqual(created.map(\.errorCode), [.none])

        // Real timestamps: with records dated 0 (1970) noida-db answered a fetch at offset 0 with OFFSET_OUT_OF_RANGE (cause not established).
        let base = Int64(Date().timeIntervalSince1970 * 1_000)
        let first = [
            KafkaRecord(timestamp: base + 1_000, key: ByteBuffer(string: "a"), value: ByteBuffer(string: "one"), headers: [KafkaHeader(key: "h", value: ByteBuffer(string: "x"))]),
            KafkaRecord(timestamp: base + 2_000, key: nil, value: ByteBuffer(string: "two")),
            KafkaRecord(timestamp: base + 3_000, key: ByteBuffer(string: "c"), value: nil),
        ]
        let second = [KafkaRecord(timestamp: base + 4_000, key: ByteBuffer(string: "d"), value: ByteBuffer(string: "four")),
                      KafkaRecord(timestamp: base + 5_000, key: ByteBuffer(string: "e"), value: ByteBuffer(string: "five"))]
        var results: [ProduceRequest.PartitionResult] = []
        for (partition, records) in [(Int32(0), first), (0, second), (1, second)] {
            let request = try ProduceRequest(data: [.init(topic: topic, partition: partition, batch: RecordBatch(records: records))])
            results += try await connection.send(request, timeout: .seconds(10))
        }
        XCTAssertEqual(results.map(\.errorCode), [.none, .none, .none])
        XCTAssertEqual(results.map(\.baseOffset), [0, 3, 0])

        let offsets = try await connection.send(ListOffsetsRequest(queries: [
            .init(topic: topic, partition: 0, position: .earliest), .init(topic: topic, partition: 0, position: .latest),
            .init(topic: topic, partition: 1, position: .latest), .init(topic: topic, partition: 0, position: .timestamp(base + 2_500)),
        ], isolationLevel: .readUncommitted), timeout: .seconds(10))
        XCTAssertEqual(offsets.map(\.errorCode), [.none, .none, .none, .none])
        if kind == .tansu {
            // Tansu 0.6 answers latest with the last batch's base offset + 1 (4 and 1 here) and
            // a timestamp with offset 0 and timestamp -1: only earliest is right there.
            XCTAssertEqual(offsets[0].offset, 0, "earliest")
        } else {
            XCTAssertEqual(offsets.map(\.offset), [0, 5, 2, 2], "earliest, latest of 0, latest of 1, first at or after t=2500")
        }

        let fetched = try await connection.send(FetchRequest(partitions: [.init(topic: topic, partition: 0, offset: 0)], isolationLevel: .readUncommitted), timeout: .seconds(10))
        let partition = try XCTUnwrap(fetched.first)
        XCTAssertEqual(partition.errorCode, .none)
        XCTAssertEqual(partition.highWatermark, 5)
        var records = partition.records
        let batches = try RecordBatch.readAll(from: &records)
        let all = batches.flatMap(\.records)
        XCTAssertEqual(all.map(\.offset), [0, 1, 2, 3, 4])
        XCTAssertEqual(all.map { $0.timestamp - base }, [1_000, 2_000, 3_000, 4_000, 5_000])
        XCTAssertEqual(all.map(\.key), (first + second).map(\.key))
        XCTAssertEqual(all.map(\.value), (first + second).map(\.value))
        XCTAssertEqual(all[0].headers, first[0].headers)
        await connection.close()
    }

    private func fetchOfAnUnknownPartition(on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let connection = try await BrokerConnection.connect(to: broker.address, configuration: KafkaClientConfiguration())
        let fetched = try await connection.send(FetchRequest(partitions: [.init(topic: "weir-nowhere", partition: 0, offset: 0)], maxWait: .milliseconds(10)), timeout: .seconds(10))
        // Tansu 0.6 answers a fetch of a topic it does not have with no error and no records;
        // the client asks metadata first, which both brokers answer right.
        XCTAssertEqual(fetched.first?.errorCode, kind == .tansu ? KafkaErrorCode.none : .unknownTopicOrPartition)
        await connection.close()
        let client = KafkaClient(bootstrap: [broker.address])
        do {
            let data = try await client.fetch(topic: "weir-nowhere", partition: 0, offset: 0, maxWait: .milliseconds(10))
            XCTFail("fetched \(data) from a topic that does not exist")
        } catch let error as KafkaError {
            guard case .broker(let code, .metadata, _, "weir-nowhere", _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, .unknownTopicOrPartition)
        }
        await client.close()
    }
}
