import Foundation
import NIOCore
import WeirKafka
import XCTest
import WeirTestSupport
import WeirKafkaTestSupport

/// A transaction written and flushed by one process that is then SIGKILLed is finished by
/// another process from the saved state, without `InitProducerId`: committed, its records
/// appear exactly once to read_committed readers (Weir's and confluent-kafka's); aborted, they
/// never appear.
final class KafkaTransactionCrashTests: XCTestCase {
    func testTransactionOfAKilledProcessIsCommittedOrAbortedFromItsSavedState() async throws { try await transactionOfAKilledProcessIsCommittedOrAbortedFromItsSavedState(on: .noida) }
    func testTransactionOfAKilledProcessIsCommittedOrAbortedFromItsSavedStateOnTansu() async throws { try await transactionOfAKilledProcessIsCommittedOrAbortedFromItsSavedState(on: .tansu) }

    private func transactionOfAKilledProcessIsCommittedOrAbortedFromItsSavedState(on kind: KafkaTestBroker.Kind) async throws {
        let python = try ConfluentPeer.python()
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        let topic = "weir-resumed"
        try await client.createTopic(topic, partitions: 2)

        var states: [TransactionState] = []
        for (partition, prefix) in [(Int32(0), "committed"), (1, "aborted")] {
            let stateFile = broker.directory + "/\(prefix).json"
            let producer = Process()
            producer.executableURL = CrashHarness.executable(named: "weir-kafka-crash-producer")
            producer.arguments = ["--bootstrap", "\(broker.address.host):\(broker.address.port)", "--topic", topic, "--partition", "\(partition)",
                                  "--transactional-id", "weir-test-\(prefix)", "--records", "10", "--prefix", prefix, "--state-file", stateFile]
            let output = Pipe()
            producer.standardOutput = output
            try producer.run()
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            XCTAssertTrue(line.contains("pre-committed"), "the producer said: \(line)")
            kill(producer.processIdentifier, SIGKILL)
            producer.waitUntilExit()
            XCTAssertEqual(producer.terminationReason, .uncaughtSignal)
            states.append(try JSONDecoder().decode(TransactionState.self, from: Data(contentsOf: URL(fileURLWithPath: stateFile))))
        }
        XCTAssertEqual(states.map(\.partitions), [[.init(topic: topic, partition: 0)], [.init(topic: topic, partition: 1)]])

        // The killed process's records are in the log but not visible yet.
        let pending = try await values(client, topic, 0, .readCommitted)
        XCTAssertEqual(pending, [])

        try await TransactionalProducer.endTransaction(states[0], commit: true, client: client)
        try await TransactionalProducer.endTransaction(states[1], commit: false, client: client)
        // Finishing again is harmless (Weir's sink commits again after a crash inside commit).
        try await TransactionalProducer.endTransaction(states[0], commit: true, client: client)

        let committed = try await values(client, topic, 0, .readCommitted)
        XCTAssertEqual(committed, (0..<10).map { "committed-\($0)" }, "every record once, in order")
        let aborted = try await values(client, topic, 1, .readCommitted)
        XCTAssertEqual(aborted, [])
        let uncommitted = try await values(client, topic, 1, .readUncommitted)
        XCTAssertEqual(uncommitted.count, 10, "the aborted records really were written")

        // confluent-kafka agrees under read_committed.
        let peer = try ConfluentPeer.run(python, ["consume", "\(broker.address.host):\(broker.address.port)", topic, "0", "10", "read_committed"])
        let peerValues = try peer.split(separator: "\n").map { try JSONDecoder().decode(ConfluentPeer.Record.self, from: Data($0.utf8)).value }
        XCTAssertEqual(peerValues, (0..<10).map { "committed-\($0)" })
        let peerAborted = try ConfluentPeer.run(python, ["consume", "\(broker.address.host):\(broker.address.port)", topic, "1", "1", "read_committed"])
        if kind == .tansu {
            // Tansu lists no aborted transactions; librdkafka filters by that list alone and
            // delivers the aborted records — Weir's consumer, which reads the markers, does not.
            XCTAssertTrue(peerAborted.contains("aborted-0"), "confluent-kafka on Tansu: \(peerAborted)")
        } else {
            XCTAssertEqual(peerAborted, "", "confluent-kafka sees nothing of the aborted transaction")
        }
        // The reader that goes by the markers alone (what tests on Tansu check output with)
        // delivers the committed records and nothing of the aborted ones, on both brokers.
        let bootstrap = "\(broker.address.host):\(broker.address.port)"
        let byMarkers = try (0..<2).map { try MarkerReader.values(python: python, bootstrap: bootstrap, topic: topic, partition: $0) }
        XCTAssertEqual(byMarkers[0], (0..<10).map { "committed-\($0)" })
        XCTAssertEqual(byMarkers[1], [])
        await client.close()
    }

    func testSecondInstanceOfATransactionalIDFencesTheFirst() async throws { try await secondInstanceOfATransactionalIDFencesTheFirst(on: .noida) }
    func testSecondInstanceOfATransactionalIDFencesTheFirstOnTansu() async throws { try await secondInstanceOfATransactionalIDFencesTheFirst(on: .tansu) }

    private func secondInstanceOfATransactionalIDFencesTheFirst(on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-fenced", partitions: 1)
        let first = try await TransactionalProducer.start(client: client, transactionalID: "weir-zombie")
        try await first.send([KafkaRecord(timestamp: Int64(Date().timeIntervalSince1970 * 1_000), key: nil, value: ByteBuffer(string: "old"))], topic: "weir-fenced", partition: 0)
        let second = try await TransactionalProducer.start(client: client, transactionalID: "weir-zombie")
        let firstEpoch = await first.state.producerEpoch
        let secondEpoch = await second.state.producerEpoch
        XCTAssertGreaterThan(secondEpoch, firstEpoch, "InitProducerId bumps the epoch")
        do {
            try await first.send([KafkaRecord(timestamp: Int64(Date().timeIntervalSince1970 * 1_000), key: nil, value: ByteBuffer(string: "zombie"))], topic: "weir-fenced", partition: 0)
            XCTFail("the fenced instance could still write")
        } catch let error as KafkaError {
            guard case .fenced(let id, _, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(id, "weir-zombie")
        }
        await client.close()
    }

    /// What Weir's read_committed consumer delivers (through ``ReadCommittedFilter``), or every
    /// data record of the log under read_uncommitted.
    private func values(_ client: KafkaClient, _ topic: String, _ partition: Int32, _ isolation: FetchRequest.IsolationLevel) async throws -> [String] {
        let data = try await client.fetch(topic: topic, partition: partition, offset: 0, isolationLevel: isolation, maxWait: .milliseconds(10))
        var bytes = data.records
        let batches = try RecordBatch.readAll(from: &bytes)
        let records = isolation == .readCommitted
            ? try ReadCommittedFilter.filter(batches, abortedTransactions: data.abortedTransactions, fetchOffset: 0).records
            : batches.filter { !$0.isControl }.flatMap(\.records)
        return records.compactMap { $0.value.map { String(buffer: $0) } }
    }
}
