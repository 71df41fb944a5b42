import Foundation
import NIOCore
import WeirKafka
import XCTest
import WeirKafkaTestSupport

/// Consumer group positions against a real broker (noida-db): stored directly, and stored
/// inside a transaction, where they count only if the transaction commits.
final class ConsumerGroupOffsetsTests: XCTestCase {
    func testCommittedOffsetsAreReadBack() async throws { try await committedOffsetsAreReadBack(on: .noida) }
    func testCommittedOffsetsAreReadBackOnTansu() async throws { try await committedOffsetsAreReadBack(on: .tansu) }

    private func committedOffsetsAreReadBack(on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-positions", partitions: 2)
        try await client.commitOffsets([.init(topic: "weir-positions", partition: 0, offset: 17, metadata: "checkpoint 3")], groupID: "weir-monitoring")
        let stored = try await client.committedOffsets(groupID: "weir-monitoring", partitions: [.init(topic: "weir-positions", partition: 0), .init(topic: "weir-positions", partition: 1)])
        XCTAssertEqual(stored, [TopicPartition(topic: "weir-positions", partition: 0): 17], "partition 1 has no position")
        await client.close()
    }

    func testOffsetsSentWithATransactionCountOnlyIfItCommits() async throws { try await offsetsSentWithATransactionCountOnlyIfItCommits(on: .noida) }
    func testOffsetsSentWithATransactionCountOnlyIfItCommitsOnTansu() async throws { try await offsetsSentWithATransactionCountOnlyIfItCommits(on: .tansu) }

    private func offsetsSentWithATransactionCountOnlyIfItCommits(on kind: KafkaTestBroker.Kind) async throws {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-out", partitions: 1)
        let input = TopicPartition(topic: "weir-in", partition: 0)
        try await client.createTopic(input.topic, partitions: 1)
        for (id, group, commit) in [("weir-rpw-commit", "weir-group-commit", true), ("weir-rpw-abort", "weir-group-abort", false)] {
            let producer = try await TransactionalProducer.start(client: client, transactionalID: id)
            try await producer.send([KafkaRecord(timestamp: Int64(Date().timeIntervalSince1970 * 1_000), key: nil, value: ByteBuffer(string: "result"))], topic: "weir-out", partition: 0)
            try await producer.sendOffsets([.init(topic: input.topic, partition: input.partition, offset: 42)], groupID: group)
            if commit { try await producer.commit() } else { try await producer.abort() }
        }
        let committed = try await client.committedOffsets(groupID: "weir-group-commit", partitions: [input])
        let aborted = try await client.committedOffsets(groupID: "weir-group-abort", partitions: [input])
        XCTAssertEqual(committed, [input: 42])
        XCTAssertEqual(aborted, [:], "the aborted transaction's positions were not stored")
        await client.close()
    }
}
