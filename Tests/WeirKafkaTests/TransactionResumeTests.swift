import Foundation
import NIOCore
import WeirKafka
import XCTest
import WeirKafkaTestSupport

/// The protocol steps of a transaction that one connection writes and pre-commits (flushes)
/// and another connection — knowing only the transactional id, producer id and epoch — ends,
/// against both real brokers (noida-db, Tansu). The records stay invisible to read_committed until the
/// commit marker; an aborted transaction's records never become visible.
final class TransactionResumeTests: XCTestCase {
    func testTransactionWrittenOnOneConnectionIsCommittedOrAbortedFromAnother() async throws { try await transactionWrittenOnOneConnectionIsCommittedOrAbortedFromAnother(on: .noida) }
    func testTransactionWrittenOnOneConnectionIsCommittedOrAbortedFromAnotherOnTansu() async throws { try await transactionWrittenOnOneConnectionIsCommittedOrAbortedFromAnother(on: .tansu) }

    private func transactionWrittenOnOneConnectionIsCommittedOrAbortedFromAnother(on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let configuration = KafkaClientConfiguration()
        let topic = "weir-transactions"
        let writer = try await BrokerConnection.connect(to: broker.address, configuration: configuration)
        _ = try await writer.send(CreateTopicsRequest(topics: [.init(name: topic, partitions: 2)]), timeout: .seconds(10))

        // Two transactions, one per partition: the first will be committed, the second aborted.
        var saved: [(id: String, producerID: Int64, epoch: Int16, partition: Int32)] = []
        for (partition, id) in [(Int32(0), "weir-sink-0-7"), (1, "weir-sink-1-7")] {
            let coordinator = try await writer.send(FindCoordinatorRequest(key: id, keyType: .transaction), timeout: .seconds(10))
            XCTAssertEqual(coordinator.errorCode, .none)
            XCTAssertEqual(coordinator.coordinator.port, broker.address.port)
            let producer = try await writer.send(InitProducerIDRequest(transactionalID: id), timeout: .seconds(10))
            XCTAssertEqual(producer.errorCode, .none)
            let added = try await writer.send(AddPartitionsToTxnRequest(transactionalID: id, producerID: producer.producerID, producerEpoch: producer.producerEpoch,
                                                                        partitions: [.init(topic: topic, partition: partition)]), timeout: .seconds(10))
            XCTAssertEqual(added.map(\.errorCode), [.none])
            let records = (0..<3).map { KafkaRecord(timestamp: Int64(Date().timeIntervalSince1970 * 1_000) + Int64($0), key: nil, value: ByteBuffer(string: "\(id)/\($0)")) }
            let batch = RecordBatch(records: records, producerID: producer.producerID, producerEpoch: producer.producerEpoch, baseSequence: 0, isTransactional: true)
            let produced = try await writer.send(try ProduceRequest(data: [.init(topic: topic, partition: partition, batch: batch)], transactionalID: id), timeout: .seconds(10))
            XCTAssertEqual(produced.map(\.errorCode), [.none])
            saved.append((id, producer.producerID, producer.producerEpoch, partition))
        }
        // The writer goes away with both transactions open.
        await writer.close()

        let reader = try await BrokerConnection.connect(to: broker.address, configuration: configuration)
        for transaction in saved {
            let committedView = try await values(reader, topic, transaction.partition, .readCommitted)
            let uncommittedView = try await values(reader, topic, transaction.partition, .readUncommitted)
            XCTAssertEqual(committedView, [], "an open transaction is invisible to read_committed")
            XCTAssertEqual(uncommittedView.count, 3, "but its records are in the log")
        }

        let resumer = try await BrokerConnection.connect(to: broker.address, configuration: configuration)
        let committed = try await resumer.send(EndTxnRequest(transactionalID: saved[0].id, producerID: saved[0].producerID, producerEpoch: saved[0].epoch, commit: true), timeout: .seconds(10))
        let aborted = try await resumer.send(EndTxnRequest(transactionalID: saved[1].id, producerID: saved[1].producerID, producerEpoch: saved[1].epoch, commit: false), timeout: .seconds(10))
        XCTAssertEqual([committed, aborted], [.none, .none])

        let visible = try await values(reader, topic, 0, .readCommitted)
        let hidden = try await values(reader, topic, 1, .readCommitted)
        let commitMarkers = try await markers(reader, topic, 0)
        let abortMarkers = try await markers(reader, topic, 1)
        XCTAssertEqual(visible, ["weir-sink-0-7/0", "weir-sink-0-7/1", "weir-sink-0-7/2"])
        XCTAssertEqual(hidden, [], "an aborted transaction never becomes visible")
        if kind == .tansu {
            // Tansu returns the aborted batches under read_committed and lists no aborted
            // transaction: only the abort marker tells, which ReadCommittedFilter reads.
            let raw = try await values(reader, topic, 1, .readCommitted, filtered: false)
            XCTAssertEqual(raw.count, 3)
        }
        XCTAssertEqual(commitMarkers, [.commit])
        XCTAssertEqual(abortMarkers, [.abort])
        await reader.close()
        await resumer.close()
    }

    /// The values of the data records a fetch from offset 0 delivers: under read_committed
    /// through ``ReadCommittedFilter`` (Weir's view), unless `filtered` is false (the broker's view).
    private func values(_ connection: BrokerConnection, _ topic: String, _ partition: Int32, _ isolation: FetchRequest.IsolationLevel,
                        filtered: Bool = true) async throws -> [String] {
        let fetched = try await connection.send(FetchRequest(partitions: [.init(topic: topic, partition: partition, offset: 0)], isolationLevel: isolation, maxWait: .milliseconds(10)), timeout: .seconds(10))
        let data = try XCTUnwrap(fetched.first)
        var bytes = data.records
        let batches = try RecordBatch.readAll(from: &bytes)
        let records = isolation == .readCommitted && filtered
            ? try ReadCommittedFilter.filter(batches, abortedTransactions: data.abortedTransactions, fetchOffset: 0).records
            : batches.filter { !$0.isControl }.flatMap(\.records)
        return records.compactMap { $0.value.map { String(buffer: $0) } }
    }

    private func markers(_ connection: BrokerConnection, _ topic: String, _ partition: Int32) async throws -> [ControlRecord.Kind] {
        let fetched = try await connection.send(FetchRequest(partitions: [.init(topic: topic, partition: partition, offset: 0)], isolationLevel: .readUncommitted, maxWait: .milliseconds(10)), timeout: .seconds(10))
        var bytes = try XCTUnwrap(fetched.first).records
        return try RecordBatch.readAll(from: &bytes).filter(\.isControl).flatMap(\.records).map { try ControlRecord($0).kind }
    }
}
