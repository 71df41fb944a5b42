import Foundation
import NIOCore
import Weir
import WeirKafka
import XCTest
import WeirKafkaTestSupport

/// `KafkaSource.onlyPartitions`, which a worker task reads its one partition with: only the named
/// partitions are read, and a partition the topic does not have is an error, not an empty read.
final class KafkaSourcePartitionsTests: XCTestCase {
    func testOnlyTheNamedPartitionIsReadAndAMissingOneFailsTheJob() async throws {
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-parts", partitions: 3)
        // Batches of 1,000 round robin: partition 1 gets events 1,000..<2,000 and 4,000..<5,000.
        try await client.fill(topic: "weir-parts", partitions: 3, with: (0..<6_000).map { "event-\($0)" }, timestamp: 0)

        func read(_ only: Set<TopicPartition>) async throws -> [String] {
            let env = StreamEnvironment(parallelism: 1)
            var source = KafkaSource(bootstrap: [broker.address], topics: ["weir-parts"], deserializer: KafkaUTF8Deserializer())
            source.boundedness = .latestAtStart
            source.onlyPartitions = only
            let collected = CollectSink<String>()
            env.addSource(source, name: "Kafka").sink(collected)
            _ = try await Task.detached { try env.execute("only-partitions") }.value
            return collected.values
        }
        let one = try await read([TopicPartition(topic: "weir-parts", partition: 1)])
        XCTAssertEqual(Set(one), Set(((1_000..<2_000).map { $0 } + (4_000..<5_000).map { $0 }).map { "event-\($0)" }))
        XCTAssertEqual(one.count, 2_000)

        do {
            _ = try await read([TopicPartition(topic: "weir-parts", partition: 7)])
            XCTFail("a partition the topic does not have was read as empty")
        } catch {
            XCTAssertTrue("\(error)".contains("has no partition 7"), "\(error)")
        }
        await client.close()
    }
}
