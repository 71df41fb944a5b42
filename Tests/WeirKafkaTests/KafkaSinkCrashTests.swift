import Foundation
import XCTest
@testable import Weir
import WeirKafka
import WeirTestSupport
import WeirKafkaTestSupport

/// Kafka → Weir → Kafka in a child process (`weir-crash-test-job --sink kafka`) under SIGKILL
/// at random moments and at each protocol step of the sink, resumed each time from its latest
/// checkpoint, against noida-db. The output topic read read_committed — by Weir's consumer and
/// by confluent-kafka — must hold every input record exactly once; read_uncommitted shows the
/// aborted attempts' records really were written. At-least-once under the same kills repeats
/// records (the check can fail).
final class KafkaSinkCrashTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-kafka-crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private struct Setup {
        var broker: KafkaTestBroker
        var client: KafkaClient
        var input: [String]
    }

    private func prepare(events: Int) async throws -> Setup {
        let broker = try KafkaTestBroker.start(.noida)
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("crash-in", partitions: 3)
        try await client.createTopic("crash-out", partitions: 2)
        let input = (0..<events).map { "event-\($0)" }
        try await client.fill(topic: "crash-in", partitions: 3, with: input, timestamp: Int64(Date().timeIntervalSince1970 * 1_000))
        return Setup(broker: broker, client: client, input: input)
    }

    /// `rate: nil` leaves `--rate` to the runs' extra arguments.
    private func harness(_ setup: Setup, parallelism: Int, mode: String = "exactly-once", rate: Int? = 15_000) -> CrashHarness {
        var harness = CrashHarness(executable: CrashHarness.executable(named: "weir-crash-test-job"),
                                   arguments: ["--sink", "kafka", "--kafka-bootstrap", "\(setup.broker.address.host):\(setup.broker.address.port)",
                                               "--checkpoints", root + "/checkpoints", "--parallelism", "\(parallelism)",
                                               "--interval", "50", "--mode", mode] + (rate.map { ["--rate", "\($0)"] } ?? []))
        harness.logPath = root + "/runs.log"
        // A run needs about a second before its first checkpoint here: noida-db takes about
        // 50 ms per transactional request, and a start initialises every id of the sink's
        // pools. Kills timed from the start would mostly hit the start; they count from the
        // run's first checkpoint instead (the start has its own crash point).
        harness.killsCountFromFirstCheckpointIn = root + "/checkpoints"
        harness.killDelayMilliseconds = 0...400
        return harness
    }

    private func assertExactlyOnce(_ setup: Setup, _ outcome: CrashHarness.Outcome, file: StaticString = #filePath, line: UInt = #line) async throws {
        let committed = try await setup.client.readAllValues(topic: "crash-out", partitions: 2, isolation: .readCommitted, expecting: setup.input.count)
        let counts = Dictionary(committed.map { ($0, 1) }, uniquingKeysWith: +)
        let lost = setup.input.filter { counts[$0] == nil }
        let duplicated = counts.filter { $0.value > 1 }.map(\.key).sorted()
        XCTAssertTrue(lost.isEmpty && duplicated.isEmpty && committed.count == setup.input.count,
                      "\(lost.count) lost (\(lost.prefix(5))), \(duplicated.count) duplicated (\(duplicated.prefix(5))) of \(setup.input.count), "
                          + "after \(outcome.kills) kills, \(outcome.crashes) crashes, \(outcome.runs) runs; log: \(root)/runs.log", file: file, line: line)

        // The oracle: confluent-kafka (librdkafka) reading read_committed from noida-db.
        let python = try ConfluentPeer.python()
        var peer: [String] = []
        for partition in 0..<2 {
            let printed = try ConfluentPeer.run(python, ["consume", "\(setup.broker.address.host):\(setup.broker.address.port)", "crash-out",
                                                                     "\(partition)", "\(setup.input.count + 1)", "read_committed"])
            peer += try printed.split(separator: "\n").compactMap { try JSONDecoder().decode(ConfluentPeer.Record.self, from: Data($0.utf8)).value }
        }
        XCTAssertEqual(peer.count, setup.input.count, "confluent-kafka's read_committed count", file: file, line: line)
        XCTAssertEqual(Set(peer), Set(setup.input), "confluent-kafka's read_committed view", file: file, line: line)
    }

    private func randomKills(parallelism: Int, seed: UInt64) async throws {
        let setup = try await prepare(events: 200_000)
        defer { setup.broker.stop() }
        var harness = harness(setup, parallelism: parallelism, rate: nil)
        harness.randomKills = 50
        harness.seed = seed
        // Slow while it is being killed, so that the input outlasts 50 kills (a run progresses
        // up to its last checkpoint, about a second of reading), then fast to finish.
        harness.extraArguments = { run in ["--rate", run < 50 ? "5000" : "100000"] }
        let outcome = try harness.run()
        XCTAssertEqual(outcome.kills, 50)
        try await assertExactlyOnce(setup, outcome)
        let uncommitted = try await setup.client.readAllValues(topic: "crash-out", partitions: 2, isolation: .readUncommitted)
        XCTAssertGreaterThan(uncommitted.count, setup.input.count, "the killed runs' transactions were written, then aborted")
        await setup.client.close()
    }

    func testFiftyRandomKillsAtParallelism1LoseAndDuplicateNothing() async throws {
        try await randomKills(parallelism: 1, seed: 101)
    }

    func testFiftyRandomKillsAtParallelism2LoseAndDuplicateNothing() async throws {
        try await randomKills(parallelism: 2, seed: 202)
    }

    /// The job kills itself at one protocol step (from checkpoint 3 on) and is resumed; then,
    /// in one more run, at a pre-commit and again while restoring. At parallelism 1 and 2.
    func testEveryInjectedCrashPoint() async throws {
        let cases: [(String, (Int) -> [String], Int)] = [
            ("before-precommit", { $0 == 0 ? ["--crash-at", "before-precommit", "--crash-checkpoint", "3"] : [] }, 1),
            ("after-precommit", { $0 == 0 ? ["--crash-at", "after-precommit", "--crash-checkpoint", "3"] : [] }, 1),
            ("before-commit", { $0 == 0 ? ["--crash-at", "before-commit", "--crash-checkpoint", "3"] : [] }, 1),
            ("mid-commit", { $0 == 0 ? ["--crash-at", "mid-commit", "--crash-checkpoint", "3"] : [] }, 1),
            ("during restore", { run in
                switch run {
                case 0: ["--crash-at", "after-precommit", "--crash-checkpoint", "3"]
                case 1: ["--crash-at", "before-recovery", "--crash-checkpoint", "0"]
                default: []
                }
            }, 2),
        ]
        for parallelism in [1, 2] {
            for (name, arguments, crashes) in cases {
                try? FileManager.default.removeItem(atPath: root + "/checkpoints")
                let setup = try await prepare(events: 40_000)
                defer { setup.broker.stop() }
                var harness = harness(setup, parallelism: parallelism)
                harness.extraArguments = arguments
                let outcome = try harness.run()
                XCTAssertEqual(outcome.crashes, crashes, "\(name) at parallelism \(parallelism): the job crashed at the step")
                try await assertExactlyOnce(setup, outcome)
                await setup.client.close()
            }
        }
    }

    func testAtLeastOnceRepeatsRecordsUnderTheSameKills() async throws {
        let setup = try await prepare(events: 150_000)
        defer { setup.broker.stop() }
        var harness = harness(setup, parallelism: 2, mode: "at-least-once")
        harness.randomKills = 15
        harness.seed = 303
        _ = try harness.run()
        let read = try await setup.client.readAllValues(topic: "crash-out", partitions: 2, isolation: .readCommitted, expecting: setup.input.count)
        XCTAssertEqual(Set(read), Set(setup.input), "at-least-once loses nothing")
        XCTAssertGreaterThan(read.count, setup.input.count, "and writes records again after restores: the check sees duplicates")
        await setup.client.close()
    }
}

/// A zombie: the job is paused (SIGSTOP) after a checkpoint, a second run of it resumes from
/// the same checkpoint directory and finishes, then the first wakes up (SIGCONT). The old run
/// must not commit anything: its transactions are fenced by the new run's epochs and it cannot
/// complete a checkpoint in a directory another run claimed, so it stops with an error; the
/// output holds every record exactly once.
final class KafkaZombieTests: XCTestCase {
    func testPausedOldRunThatWakesUpAfterTheRestartIsFencedAndCommitsNothing() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-kafka-zombie-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        try await client.createTopic("crash-in", partitions: 3)
        try await client.createTopic("crash-out", partitions: 2)
        let input = (0..<60_000).map { "event-\($0)" }
        try await client.fill(topic: "crash-in", partitions: 3, with: input, timestamp: Int64(Date().timeIntervalSince1970 * 1_000))

        let arguments = ["--sink", "kafka", "--kafka-bootstrap", "\(broker.address.host):\(broker.address.port)", "--checkpoints", root + "/checkpoints",
                         "--rate", "15000", "--parallelism", "2", "--interval", "50"]
        let old = Process()
        old.executableURL = CrashHarness.executable(named: "weir-crash-test-job")
        old.arguments = arguments
        let oldOutput = Pipe()
        old.standardError = oldOutput
        try old.run()
        defer { if old.isRunning { kill(old.processIdentifier, SIGKILL); old.waitUntilExit() } }
        // Paused mid-run, between checkpoints, with transactions open and pending.
        let deadline = Date().addingTimeInterval(30)
        while (CrashHarness.newestCheckpoint(in: root + "/checkpoints") ?? 0) < 3, Date() < deadline { usleep(5_000) }
        usleep(120_000)
        kill(old.processIdentifier, SIGSTOP)

        // The new run takes over the same directory and finishes the job.
        let new = Process()
        new.executableURL = CrashHarness.executable(named: "weir-crash-test-job")
        new.arguments = arguments + ["--resume"]
        new.standardError = FileHandle.nullDevice
        try new.run()
        new.waitUntilExit()
        XCTAssertEqual(new.terminationStatus, 0, "the new run finishes")

        kill(old.processIdentifier, SIGCONT)
        let said = String(decoding: oldOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        old.waitUntilExit()
        XCTAssertNotEqual(old.terminationStatus, 0, "the woken run stops with an error: \(said)")
        XCTAssertTrue(said.contains("fenced") || said.contains("took over the checkpoint directory"), said)

        // Give a zombie that still committed something the time to show it, then count.
        try await Task.sleep(for: .milliseconds(500))
        let committed = try await client.readAllValues(topic: "crash-out", partitions: 2, isolation: .readCommitted, expecting: input.count)
        let counts = Dictionary(committed.map { ($0, 1) }, uniquingKeysWith: +)
        XCTAssertEqual(committed.count, input.count, "duplicated: \(counts.filter { $0.value > 1 }.count)")
        XCTAssertEqual(Set(committed), Set(input))
        await client.close()
    }
}
