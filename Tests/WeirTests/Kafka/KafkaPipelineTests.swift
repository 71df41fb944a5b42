import Foundation
import NIOCore
import Weir
import WeirKafka
import XCTest

/// Kafka → Weir → Kafka with checkpoints, failures injected mid-stream and the job restarted
/// from its latest checkpoint each time: with `.exactlyOnce` every input record is in the
/// output exactly once under read_committed (and the aborted attempts' records are in the log,
/// read_uncommitted); with `.atLeastOnce` the same failures leave duplicates.
final class KafkaPipelineTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-kafka-pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testExactlyOnceAcrossFailuresAtParallelism2() async throws {
        let outcome = try await pipeline(guarantee: .exactlyOnce, parallelism: 2, failures: [3_000, 5_000, 4_000])
        XCTAssertEqual(outcome.restarts, 3)
        XCTAssertEqual(outcome.committed.count, outcome.input.count, "no record lost or repeated")
        XCTAssertEqual(outcome.committed.sorted(), outcome.input.sorted())
        XCTAssertGreaterThan(outcome.uncommitted.count, outcome.input.count, "the failed attempts' transactions were written, then aborted")
    }

    func testExactlyOnceAcrossFailuresAtParallelism1() async throws {
        let outcome = try await pipeline(guarantee: .exactlyOnce, parallelism: 1, failures: [4_000, 7_000])
        XCTAssertEqual(outcome.restarts, 2)
        XCTAssertEqual(outcome.committed.sorted(), outcome.input.sorted())
    }

    func testAtLeastOnceRepeatsRecordsAfterFailures() async throws {
        let outcome = try await pipeline(guarantee: .atLeastOnce, parallelism: 2, failures: [3_000, 5_000, 4_000])
        XCTAssertEqual(outcome.restarts, 3)
        XCTAssertEqual(Set(outcome.committed), Set(outcome.input), "nothing lost")
        XCTAssertGreaterThan(outcome.committed.count, outcome.input.count, "but records written since the last checkpoint were written again")
    }

    private struct Outcome {
        var input: [String]
        var committed: [String]
        var uncommitted: [String]
        var restarts: Int
    }

    private func pipeline(guarantee: KafkaSink<KafkaClosureSerializer<String>>.DeliveryGuarantee, parallelism: Int, failures: [Int]) async throws -> Outcome {
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-in", partitions: 3)
        try await client.createTopic("weir-out", partitions: 2)
        let input = (0..<20_000).map { "event-\($0)" }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        for (index, chunk) in stride(from: 0, to: input.count, by: 500).map({ Array(input[$0..<min($0 + 500, input.count)]) }).enumerated() {
            let records = chunk.map { KafkaRecord(timestamp: now, key: nil, value: ByteBuffer(string: $0)) }
            _ = try await client.produce(RecordBatch(records: records), topic: "weir-in", partition: Int32(index % 3))
        }

        let injector = FailureInjector(failures)
        let env = StreamEnvironment(parallelism: parallelism)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(50))
        env.restartStrategy = .fixedDelay(attempts: failures.count, delay: .zero)
        env.warningHandler = { _ in }
        var source = KafkaSource(bootstrap: [broker.address], topics: ["weir-in"], deserializer: KafkaUTF8Deserializer())
        source.boundedness = .latestAtStart
        var sink = KafkaSink(bootstrap: [broker.address], topic: "weir-out",
                             serializer: KafkaClosureSerializer { KafkaProducerRecord(key: ByteBuffer(string: $0), value: ByteBuffer(string: $0)) },
                             guarantee: guarantee)
        sink.batchSize = 100
        env.addSource(source, name: "Kafka")
            .map(name: "Inject") { (value: String) -> String in
                try injector.check()
                return value
            }
            .sink(sink, name: "KafkaOut")
        // The job blocks its thread; run it off the test's executor.
        let result = try await Task.detached { try env.execute("kafka-pipeline") }.value

        let committed = try await readAll(client, topic: "weir-out", partitions: 2, isolation: .readCommitted)
        let uncommitted = try await readAll(client, topic: "weir-out", partitions: 2, isolation: .readUncommitted)
        await client.close()
        return Outcome(input: input, committed: committed, uncommitted: uncommitted, restarts: result.restarts)
    }

    /// Every value of the topic, read until each partition's position reaches its end.
    private func readAll(_ client: KafkaClient, topic: String, partitions: Int32, isolation: FetchRequest.IsolationLevel) async throws -> [String] {
        var configuration = ConsumerConfiguration()
        configuration.isolationLevel = isolation
        configuration.maxWait = .milliseconds(50)
        var consumer = KafkaConsumer(client: client, configuration: configuration)
        let all = (0..<partitions).map { TopicPartition(topic: topic, partition: $0) }
        try await consumer.assign(Dictionary(uniqueKeysWithValues: all.map { ($0, StartPosition.earliest) }))
        var values: [String] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let polled = try await consumer.poll()
            values += polled.compactMap { $0.record.value.map { String(buffer: $0) } }
            if polled.isEmpty, all.allSatisfy({ consumer.lag(of: $0) == 0 }) { break }
        }
        return values
    }
}
