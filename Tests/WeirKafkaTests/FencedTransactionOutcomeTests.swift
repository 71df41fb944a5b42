import Foundation
import NIOCore
@testable import Weir
import WeirKafka
import XCTest
import WeirKafkaTestSupport

/// A recovered transaction whose `EndTxn(commit)` is fenced was either committed (and its id
/// used again) or aborted by the broker (its timeout passed while the job was down, which
/// bumps the epoch just as a new producer does). The sink once took every fenced transaction
/// for committed; now the partitions' control markers decide, against real brokers.
final class FencedTransactionOutcomeTests: XCTestCase {
    func testFencedCommittedTransactionIsFoundCommitted() async throws { try await fenced(afterCommitting: true, on: .noida) }
    func testFencedAbortedTransactionIsFoundAborted() async throws { try await fenced(afterCommitting: false, on: .noida) }
    func testFencedCommittedTransactionIsFoundCommittedOnTansu() async throws { try await fenced(afterCommitting: true, on: .tansu) }
    func testFencedAbortedTransactionIsFoundAbortedOnTansu() async throws { try await fenced(afterCommitting: false, on: .tansu) }

    private func fenced(afterCommitting committing: Bool, on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("fenced", partitions: 2)
        // Other records before and after, so that the marker must be looked for.
        try await client.fill(topic: "fenced", partitions: 2, with: (0..<3_000).map { "before-\($0)" }, timestamp: 0)

        let id = "weir-fenced-\(committing)"
        let first = try await TransactionalProducer.start(client: client, transactionalID: id)
        for partition in [Int32(0), 1] {
            try await first.send((0..<500).map { KafkaRecord(timestamp: 0, key: nil, value: ByteBuffer(string: "txn-\(partition)-\($0)")) }, topic: "fenced", partition: partition)
        }
        let state = await first.state
        XCTAssertEqual(Set(state.firstOffsets.keys), [TopicPartition(topic: "fenced", partition: 0), TopicPartition(topic: "fenced", partition: 1)])
        if committing { try await first.commit() }
        // A new epoch for the id: after a commit, the sink using the id again; without one, what
        // the broker's timeout abort does — the open transaction is aborted and the epoch bumped.
        let second = try await TransactionalProducer.start(client: client, transactionalID: id)
        try await second.send([KafkaRecord(timestamp: 0, key: nil, value: ByteBuffer(string: "next"))], topic: "fenced", partition: 0)
        try await second.commit()
        try await client.fill(topic: "fenced", partitions: 2, with: (0..<2_000).map { "after-\($0)" }, timestamp: 0)

        do {
            try await TransactionalProducer.endTransaction(state, commit: true, client: client)
            XCTFail("EndTxn with the old epoch must be fenced")
        } catch KafkaError.fenced {
        } catch KafkaError.connectionClosed where kind == .tansu {
            // Tansu 0.6 closes the connection instead of answering PRODUCER_FENCED (docs/KAFKA.md).
        }
        let outcome = try await TransactionalProducer.outcome(of: state, client: client)
        XCTAssertEqual(outcome, committing ? .committed : .aborted)

        // A state saved before first offsets were recorded cannot be checked.
        var legacy = state
        legacy.firstOffsets = [:]
        let legacyOutcome = try await TransactionalProducer.outcome(of: legacy, client: client)
        XCTAssertEqual(legacyOutcome, .unknown)
        await client.close()
    }

    /// The first offsets travel with the state through a checkpoint, and states saved before
    /// they existed still decode.
    func testFirstOffsetsAreKeptInCheckpointsAndOldStatesStillDecode() throws {
        struct Legacy: Codable { var transactionalID: String; var producerID: Int64; var producerEpoch: Int16; var partitions: [TopicPartition] }
        let partition = TopicPartition(topic: "t", partition: 3)
        let state = TransactionState(transactionalID: "x", producerID: 7, producerEpoch: 2, partitions: [partition], firstOffsets: [partition: 41])
        // Weir's checkpoint encoding of operator state, as the sink's transactions are saved.
        let bytes = try BinaryStateEncoder().encode(state)
        XCTAssertEqual(try BinaryStateDecoder().decode(TransactionState.self, from: bytes), state)
        let old = try BinaryStateEncoder().encode(Legacy(transactionalID: "x", producerID: 7, producerEpoch: 2, partitions: [partition]))
        XCTAssertEqual(try BinaryStateDecoder().decode(TransactionState.self, from: old).firstOffsets, [:])
    }
}

/// The same through the sink: a restored job whose pre-committed transaction the broker
/// aborted stops with "transaction lost" instead of reporting success with the rows missing.
final class KafkaSinkRecoveryVerificationTests: XCTestCase {
    func testRecoveredTransactionThatTheBrokerAbortedIsReportedLost() throws { try recover(brokerAborted: true, on: .noida) }
    func testRecoveredTransactionThatWasCommittedAndItsIDReusedIsAccepted() throws { try recover(brokerAborted: false, on: .noida) }
    /// Tansu closes the connection where noida-db answers PRODUCER_FENCED: the markers decide all the same
    /// (seen as a task that moved twice between workers failing on every restore).
    func testRecoveredTransactionThatTheBrokerAbortedIsReportedLostOnTansu() throws { try recover(brokerAborted: true, on: .tansu) }
    func testRecoveredTransactionThatWasCommittedAndItsIDReusedIsAcceptedOnTansu() throws { try recover(brokerAborted: false, on: .tansu) }

    private func recover(brokerAborted: Bool, on kind: KafkaTestBroker.Kind) throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try awaitOnTaskThread { try await client.createTopic("recovered", partitions: 1) }
        let sink = KafkaSink(bootstrap: [broker.address], topic: "recovered", serializer: KafkaClosureSerializer { KafkaProducerRecord(value: ByteBuffer(string: $0)) })
        let context = SinkContext(subtask: 0, parallelism: 1, operatorName: "Kafka", jobName: "recovery")

        // The run that crashed: a transaction written and pre-committed at checkpoint 1 (the
        // checkpoint completed, but the process died before committing it).
        let crashed = try sink.makeWriter(context)
        var transaction = try crashed.beginTransaction(checkpointID: 1)
        for value in 0..<100 { try crashed.write("row-\(value)", timestamp: 0, to: &transaction) }
        try crashed.preCommit(&transaction)
        let id = try XCTUnwrap(transaction.transactionalID)
        if brokerAborted {
            // What the coordinator does when the transaction timeout passes: abort, new epoch.
            _ = try awaitOnTaskThread { try await TransactionalProducer.start(client: client, transactionalID: id) }
        } else {
            // Committed, and the id used again by a later transaction.
            try crashed.commit(transaction)
            let next = try awaitOnTaskThread { try await TransactionalProducer.start(client: client, transactionalID: id) }
            try awaitOnTaskThread {
                try await next.send([KafkaRecord(timestamp: 0, key: nil, value: ByteBuffer(string: "later"))], topic: "recovered", partition: 0)
                try await next.commit()
            }
        }

        // The restored run recovers the checkpoint's transaction.
        let restored = try sink.makeWriter(context)
        defer { restored.close(); crashed.close() }
        if brokerAborted {
            XCTAssertThrowsError(try restored.recoverAndCommit(transaction)) { error in
                guard case TwoPhaseCommitError.lostTransaction(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("aborted by the broker") && message.contains("transactionTimeout"), message)
            }
        } else {
            XCTAssertNoThrow(try restored.recoverAndCommit(transaction))
        }
        try awaitOnTaskThread { await client.close() }
    }
}
