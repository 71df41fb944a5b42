import Foundation
import NIOCore
import Weir
import WeirKafka
import XCTest
import WeirTestSupport
import WeirKafkaTestSupport

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

    /// The same on Tansu, which lists no aborted transactions: only the markers tell Weir's
    /// source what the failed attempts aborted.
    func testExactlyOnceAcrossFailuresOnTansu() async throws {
        let outcome = try await pipeline(guarantee: .exactlyOnce, parallelism: 2, failures: [3_000, 5_000], broker: .tansu)
        XCTAssertEqual(outcome.restarts, 2)
        let counts = Dictionary(outcome.committed.map { ($0, 1) }, uniquingKeysWith: +)
        XCTAssertTrue(outcome.committed.count == outcome.input.count && Set(outcome.committed) == Set(outcome.input),
                      "\(outcome.committed.count) committed, \(counts.filter { $0.value > 1 }.count) duplicated, \(outcome.input.filter { counts[$0] == nil }.count) lost")
        XCTAssertGreaterThan(outcome.uncommitted.count, outcome.input.count)
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

    /// With `offsetCommitGroup`, the positions of completed checkpoints are stored for the group:
    /// after the final checkpoint, the end of every input partition.
    func testPositionsOfCompletedCheckpointsAreStoredForTheGroup() async throws {
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-in", partitions: 3)
        try await client.fill(topic: "weir-in", partitions: 3, with: (0..<20_000).map { "event-\($0)" }, timestamp: Int64(Date().timeIntervalSince1970 * 1_000))
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(50))
        var source = KafkaSource(bootstrap: [broker.address], topics: ["weir-in"], deserializer: KafkaUTF8Deserializer())
        source.boundedness = .latestAtStart
        source.offsetCommitGroup = "weir-monitor"
        env.addSource(source, name: "Kafka").sink(DiscardingSink())
        _ = try await Task.detached { try env.execute("positions") }.value
        let partitions = (0..<3).map { TopicPartition(topic: "weir-in", partition: Int32($0)) }
        let stored = try await client.committedOffsets(groupID: "weir-monitor", partitions: partitions)
        // 20 batches of 1,000 dealt round robin over 3 partitions: 7, 7 and 6 batches.
        XCTAssertEqual(stored, [partitions[0]: 7_000, partitions[1]: 7_000, partitions[2]: 6_000])
        await client.close()
    }

    /// A transaction timeout the broker could hit before a restarted job commits is refused at
    /// start, naming both settings.
    func testTransactionTimeoutShorterThanCheckpointsPlusRestartIsRefused() async throws {
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-in", partitions: 1)
        try await client.createTopic("weir-out", partitions: 1)
        await client.close()
        let env = StreamEnvironment(parallelism: 1)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .seconds(10))
        var sink = KafkaSink(bootstrap: [broker.address], topic: "weir-out", serializer: KafkaClosureSerializer { KafkaProducerRecord(value: ByteBuffer(string: $0)) })
        sink.transactionTimeout = .seconds(60)
        env.fromCollection(["a"]).sink(sink, name: "KafkaOut")
        let failure = await Task.detached { () -> String in
            do { _ = try env.execute("timeout"); return "" } catch { return "\(error)" }
        }.value
        XCTAssertTrue(failure.contains("transactionTimeout (60.0 seconds) must be at least twice the checkpoint interval (10.0 seconds) plus restartAllowance (300.0 seconds)"), failure)
    }

    /// A pool too small for the retained checkpoints (each committed transaction keeps its
    /// id while a retained checkpoint lists it) is refused at start, naming the setting.
    func testTransactionalIDPoolSmallerThanTheRetainedCheckpointsNeedIsRefused() async throws {
        let env = StreamEnvironment(parallelism: 1)
        var checkpoints = CheckpointConfiguration(directory: directory, interval: .seconds(1))
        checkpoints.retainedCheckpoints = 3
        env.checkpointing = checkpoints
        env.restartStrategy = .none
        // Refused before any connection: no broker is needed (nothing listens on port 9).
        var sink = KafkaSink(bootstrap: [BrokerAddress(host: "127.0.0.1", port: 9)], topic: "weir-out",
                             serializer: KafkaClosureSerializer { KafkaProducerRecord(value: ByteBuffer(string: $0)) })
        sink.transactionalIDPoolSize = 4
        env.fromCollection(["a"]).sink(sink, name: "KafkaOut")
        let failure = await Task.detached { () -> String in
            do { _ = try env.execute("pool"); return "" } catch { return "\(error)" }
        }.value
        XCTAssertTrue(failure.contains("transactionalIDPoolSize (4) must be at least 5"), failure)
    }

    private struct Outcome {
        var input: [String]
        var committed: [String]
        var uncommitted: [String]
        var restarts: Int
    }

    private func pipeline(guarantee: DeliveryGuarantee, parallelism: Int, failures: [Int],
                          broker kind: KafkaTestBroker.Kind = .noida) async throws -> Outcome {
        let broker = try KafkaTestBroker.start(kind)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("weir-in", partitions: 3)
        try await client.createTopic("weir-out", partitions: 2)
        let input = (0..<20_000).map { "event-\($0)" }
        try await client.fill(topic: "weir-in", partitions: 3, with: input, timestamp: Int64(Date().timeIntervalSince1970 * 1_000))

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

        let committed = try await client.readAllValues(topic: "weir-out", partitions: 2, isolation: .readCommitted, expecting: input.count)
        let uncommitted = try await client.readAllValues(topic: "weir-out", partitions: 2, isolation: .readUncommitted)
        await client.close()
        return Outcome(input: input, committed: committed, uncommitted: uncommitted, restarts: result.restarts)
    }
}
