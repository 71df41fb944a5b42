import Foundation
import NIOCore
@_spi(ClusterRunner) import Weir
import WeirKafka
import XCTest

/// `env.cluster = .kafkaGroup(…)` before it joins a group: how a job is split into stages and
/// tasks, and the jobs it refuses (with what to do instead) — none of this needs a broker.
/// Running workers are tested end to end by WorkerGroupTests and the conformance matrix's
/// worker rows (`weir worker` is built on this).
final class KafkaGroupClusterTests: XCTestCase {
    private let broker = try! BrokerAddress("127.0.0.1:1")
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cluster-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func environment(cluster: Bool = true) -> StreamEnvironment {
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(200))
        if cluster { env.cluster = .kafkaGroup(bootstrap: [broker], group: "cluster-tests") }
        return env
    }

    private func source(_ topic: String) -> KafkaSource<KafkaUTF8Deserializer> {
        KafkaSource(bootstrap: [broker], topics: [topic], deserializer: KafkaUTF8Deserializer())
    }

    private let lines = KafkaClosureSerializer { (line: String) in KafkaProducerRecord(key: ByteBuffer(string: line), value: ByteBuffer(string: line)) }

    /// The reference shape: input → repartition topic; repartition topic → keyBy → sink.
    private func twoStageJob(_ env: StreamEnvironment, writers: Int = 4) throws -> RepartitionTopic {
        let hop = try RepartitionTopic(name: "words-by-word", partitions: 3, writers: writers)
        env.addSource(source("words"), name: "Words").map(name: "Lower") { $0.lowercased() }
            .repartition(into: hop, bootstrap: [broker], key: { $0 }, serializer: lines)
        var byWord = source(hop.name)
        byWord.repartitionTopic = hop
        env.addSource(byWord, name: "ByWord").keyBy { $0 }.reduce(name: "Count") { a, _ in a }
            .sink(KafkaSink(bootstrap: [broker], topic: "counts", serializer: lines, guarantee: .exactlyOnce), name: "Counts")
        return hop
    }

    private func assertInvalidJob(_ env: StreamEnvironment, saying phrases: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try env.execute("refused"), file: file, line: line) { error in
            guard case JobError.invalidJob(let message) = error else { return XCTFail("\(error) is not an invalid job", file: file, line: line) }
            for phrase in phrases { XCTAssertTrue(message.contains(phrase), "\(message) does not say '\(phrase)'", file: file, line: line) }
        }
    }

    func testAJobSplitsIntoAStagePerTopicAndATaskIsItsStageOverOnePartitionAtParallelismOne() throws {
        let env = environment()
        let hop = try twoStageJob(env)
        let stages = try env.clusterStages()
        XCTAssertEqual(stages.map(\.sourceName), ["Words", "ByWord"])
        XCTAssertEqual(stages.map(\.operatorNames), [["Words", "Lower", "Repartition watermarks", "Repartition records", "Repartition"], ["ByWord", "Count", "Counts"]])
        XCTAssertEqual(stages.map(\.source.isPartitionedByKey), [false, true])

        let windowTask = try env.clusterTaskEnvironment(for: ClusterTask(input: hop.name, partition: 2, partitionCount: 3))
        // keyBy still breaks the chain (a hash edge), at parallelism 1 as at any other.
        XCTAssertEqual(try windowTask.explain(), "ByWord ×1\nCount → Counts ×1")
        XCTAssertEqual(windowTask.checkpointing?.storage.location, directory)
        let readTask = try env.clusterTaskEnvironment(for: ClusterTask(input: "words", partition: 0, partitionCount: 4))
        XCTAssertEqual(try readTask.explain(), "Words → Lower → Repartition watermarks → Repartition records → Repartition ×1")

        // The source of a task reads its partition only.
        let restricted = source("words").reading(partition: 3, of: "words")
        XCTAssertEqual(restricted.onlyPartitions, [TopicPartition(topic: "words", partition: 3)])
        XCTAssertEqual(restricted.topics, ["words"])
    }

    func testARepartitionTopicWithAnotherNumberOfWritersThanTheWritingStageHasTasksFailsTheTask() throws {
        let env = environment()
        _ = try twoStageJob(env, writers: 4)
        XCTAssertThrowsError(try env.clusterTaskEnvironment(for: ClusterTask(input: "words", partition: 0, partitionCount: 6))) { error in
            XCTAssertTrue("\(error)".contains("writers: 6"), "\(error)")
        }
    }

    func testAStageThatKeysAnInputNotPartitionedByKeyIsRefusedSayingHowToRepartition() {
        let env = environment()
        env.addSource(source("words"), name: "Words").keyBy { $0 }.reduce(name: "Count") { a, _ in a }.print()
        assertInvalidJob(env, saying: ["'Count' is keyed", "words", "repartition(into:", "CoPartitionedDeserializer"])
    }

    func testAnInputCheckedForCoPartitioningMayBeKeyedInItsStage() throws {
        let env = environment()
        let copartitioned = KafkaSource(bootstrap: [broker], topics: ["words"], deserializer: CoPartitionedDeserializer(KafkaUTF8Deserializer(), partitionCount: 4))
        env.addSource(copartitioned, name: "Words").keyBy { $0 }.reduce(name: "Count") { a, _ in a }.print()
        XCTAssertEqual(try env.clusterStages().map(\.source.isPartitionedByKey), [true])
    }

    func testSourcesThatAreNotKafkaTopicsOrStagesOfTwoSourcesAreRefused() {
        let collection = environment()
        collection.fromCollection(["a"], name: "Lines").print()
        assertInvalidJob(collection, saying: ["'Lines' cannot be split"])

        let union = environment()
        union.addSource(source("a"), name: "A").union(union.addSource(source("b"), name: "B")).print()
        assertInvalidJob(union, saying: ["read 2 sources together"])

        let twoInputs = environment()
        twoInputs.addSource(source("a"), name: "A").print()
        twoInputs.addSource(source("b"), name: "B").print()
        assertInvalidJob(twoInputs, saying: ["2 input topics", "a by 'A'", "b by 'B'"])

        let twoTopics = environment()
        twoTopics.addSource(KafkaSource(bootstrap: [broker], topics: ["a", "b"], deserializer: KafkaUTF8Deserializer()), name: "AB").print()
        assertInvalidJob(twoTopics, saying: ["'AB' reads 2 topics"])
    }

    func testAClusterJobNeedsCheckpointsThatNestAStoragePerTask() throws {
        let env = environment()
        env.checkpointing = nil
        _ = try twoStageJob(env)
        assertInvalidJob(env, saying: ["needs checkpoints"])
    }

    func testAJobThatWritesARepartitionTopicPerTaskDoesNotRunInOneProcessAndSaysWhy() throws {
        let env = environment(cluster: false)
        _ = try twoStageJob(env)
        assertInvalidJob(env, saying: ["'Repartition' writes repartition topic words-by-word", "StreamEnvironment.cluster"])
    }
}
