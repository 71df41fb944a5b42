import Foundation
import NIOCore
import XCTest
@testable import WeirKafka

/// One case of the exactly-once conformance matrix: the reference job (`weir run`: source →
/// keyBy → 1 s tumbling event-time window sum → exactly-once sink) fed from one source, written
/// to one sink, run under one fault schedule, possibly at another parallelism after each
/// restore — then checked by ``IndependentWindowSums`` against the raw input.
struct ConformanceCase: CustomStringConvertible {
    enum Source: String { case generator, files, kafka }
    enum Sink: String { case files, kafka }
    enum Fault: CustomStringConvertible {
        /// SIGKILL at random moments, this many times.
        case randomKills(Int)
        /// The job kills itself at each two-phase-commit step in turn (one run per step), then
        /// once more while restoring.
        case everyCommitStep
        /// SIGKILL after a few checkpoints, then one byte of the latest checkpoint's window state
        /// flipped before the resume.
        case damagedLatestCheckpoint

        var description: String {
            switch self {
            case .randomKills(let kills): return "\(kills) random SIGKILLs"
            case .everyCommitStep: return "SIGKILL at every 2PC step"
            case .damagedLatestCheckpoint: return "damaged latest checkpoint"
            }
        }
    }

    var source: Source
    var sink: Sink
    /// Parallelism of run 0, 1, 2, … (cycled): `[2]` keeps it, `[2, 1, 3]` rescales at every restore.
    var parallelism: [Int]
    var fault: Fault
    /// Input size: events (lines) in all.
    var events = 400_000
    var keys = 500

    var description: String {
        "\(source.rawValue) → \(sink.rawValue), parallelism \(parallelism.map(String.init).joined(separator: "→")), \(fault)"
    }
}

/// Runs ``ConformanceCase``s with the built `weir` command and Kafka brokers of the test
/// support, in a directory of their own.
struct ConformanceHarness {
    let root: String
    /// Event time covered by the input, in ms (the reference job's windows are 1 s).
    let eventTimeMilliseconds: Int64 = 40_000
    let disorder: Int64 = 50

    /// What a case came to.
    struct Outcome {
        var verdict: IndependentWindowSums.Verdict?
        var kills = 0
        var crashes = 0
        var runs = 0
        /// For faults Weir must refuse (a damaged checkpoint with a sink that would duplicate): what it said.
        var refusal: String?
    }

    /// The input as `key,timestamp,value` lines in 4 parts ("files" or partitions): parts 0 and 1
    /// cover the first half of event time, 2 and 3 the second, each rising with up to
    /// `disorder` ms of disorder — so that a subtask that reads part 0 and then part 2 is on time,
    /// and one that reads them the other way round (after a restore) is not, unless watermarks
    /// are kept per part.
    func inputParts(_ testCase: ConformanceCase) -> [[String]] {
        let perPart = testCase.events / 4
        let half = eventTimeMilliseconds / 2
        var state: UInt64 = 0x5eed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        return (0..<4).map { part in
            (0..<perPart).map { i in
                let base = Int64(part / 2) * half + Int64(i) * half / Int64(perPart)
                let time = max(Int64(part / 2) * half, base - Int64(next() % UInt64(disorder + 1)))
                return "\(Int64(i * 4 + part) % Int64(testCase.keys)),\(time),\(next() % 100)"
            }
        }
    }

    func run(_ testCase: ConformanceCase, broker: KafkaTestBroker?, seed: UInt64) throws -> Outcome {
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let data = root + "/data"
        var arguments = ["run", "--data-dir", data, "--checkpoint-interval", "100", "--show", "0", "--disorder", "\(disorder)",
                         "--restart-delay", "50", "--restart-max-delay", "500"]
        var expected: [IndependentWindowSums.Row]
        let bootstrap = broker.map { "\($0.address.host):\($0.address.port)" }
        switch testCase.source {
        case .generator:
            // 10,000 events per second of event time: the same span as the other sources.
            let eventsPerSecond = Int64(testCase.events) * 1_000 / eventTimeMilliseconds
            arguments += ["--events", "\(testCase.events)", "--keys", "\(testCase.keys)", "--events-per-second", "\(eventsPerSecond)", "--rate", "150000"]
            expected = IndependentWindowSums.expected(lines: IndependentWindowSums.generatorLines(
                events: Int64(testCase.events), keys: Int64(testCase.keys), eventsPerSecond: eventsPerSecond, disorder: disorder, seed: 42), windowMilliseconds: 1_000)
        case .files:
            let parts = inputParts(testCase)
            try FileManager.default.createDirectory(atPath: root + "/input", withIntermediateDirectories: true)
            for (index, lines) in parts.enumerated() {
                try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/input/events-\(index).csv", atomically: true, encoding: .utf8)
            }
            arguments += ["--source", "files", "--input", root + "/input"]
            expected = IndependentWindowSums.expected(lines: parts.joined().map { Substring($0) }, windowMilliseconds: 1_000)
        case .kafka:
            guard let broker, let bootstrap else { throw InjectedFailure(message: "a Kafka case needs a broker") }
            let parts = inputParts(testCase)
            try Self.fill(broker: broker, topic: "conformance-in", parts: parts)
            arguments += ["--source", "kafka", "--input-topic", "conformance-in", "--kafka-bootstrap", bootstrap]
            expected = IndependentWindowSums.expected(lines: parts.joined().map { Substring($0) }, windowMilliseconds: 1_000)
        }
        if testCase.sink == .kafka {
            guard let bootstrap else { throw InjectedFailure(message: "a Kafka case needs a broker") }
            arguments += ["--sink", "kafka", "--output-topic", "conformance-out", "--kafka-bootstrap", bootstrap]
        }
        let parallelism = testCase.parallelism
        var outcome = Outcome()
        switch testCase.fault {
        case .randomKills(let kills):
            var harness = CrashHarness(executable: CrashHarness.executable(named: "weir"), arguments: arguments)
            harness.randomKills = kills
            harness.seed = seed
            harness.killDelayMilliseconds = 50...400
            harness.killsCountFromFirstCheckpointIn = data + "/checkpoints"
            harness.logPath = root + "/runs.log"
            harness.extraArguments = { run in ["--parallelism", "\(parallelism[run % parallelism.count])"] }
            let result = try harness.run()
            (outcome.kills, outcome.crashes, outcome.runs) = (result.kills, result.crashes, result.runs)
        case .everyCommitStep:
            let steps = ["before-precommit", "after-precommit", "before-commit", "mid-commit"]
            var harness = CrashHarness(executable: CrashHarness.executable(named: "weir"), arguments: arguments)
            harness.logPath = root + "/runs.log"
            let checkpoints = data + "/checkpoints"
            harness.extraArguments = { run in
                var extra = ["--parallelism", "\(parallelism[run % parallelism.count])"]
                // Run k crashes at step k from its second new checkpoint on (ids go on from the
                // restored one); then one crash while restoring.
                let first = (CrashHarness.newestCheckpoint(in: checkpoints) ?? 0) + 2
                if run < steps.count { extra += ["--crash-at", steps[run], "--crash-checkpoint", "\(first)"] }
                if run == steps.count { extra += ["--crash-at", "before-recovery", "--crash-checkpoint", "0"] }
                return extra
            }
            let result = try harness.run()
            (outcome.kills, outcome.crashes, outcome.runs) = (result.kills, result.crashes, result.runs)
        case .damagedLatestCheckpoint:
            let first = Process()
            first.executableURL = CrashHarness.executable(named: "weir")
            first.arguments = arguments + ["--parallelism", "\(parallelism[0])"]
            first.standardOutput = FileHandle.nullDevice
            first.standardError = FileHandle.nullDevice
            try first.run()
            let deadline = Date().addingTimeInterval(30)
            while first.isRunning, Date() < deadline, (CrashHarness.newestCheckpoint(in: data + "/checkpoints") ?? 0) < 4 { usleep(5_000) }
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            outcome.kills = 1
            try Self.damageLatestCheckpoint(in: data + "/checkpoints")
            let resumed = try WeirCommandRun(arguments + ["--resume", "--parallelism", "\(parallelism[1 % parallelism.count])"])
            outcome.runs = 2
            if resumed.status != 0 {
                outcome.refusal = resumed.output
                return outcome
            }
        }
        let committed: [IndependentWindowSums.Row]
        switch testCase.sink {
        case .files:
            committed = try IndependentWindowSums.committedRows(inDirectory: data + "/output")
        case .kafka:
            committed = try IndependentWindowSums.committedRows(topic: "conformance-out", partitions: parallelism[0], bootstrap: bootstrap!,
                                                                python: try ConfluentInteropTests.peerPython())
        }
        outcome.verdict = IndependentWindowSums.compare(committed: committed, expected: expected)
        return outcome
    }

    /// Writes part `j` of the input to partition `j` of a new 4-partition topic.
    static func fill(broker: KafkaTestBroker, topic: String, parts: [[String]]) throws {
        let address = broker.address
        let timestamp = Int64(Date().timeIntervalSince1970 * 1_000)
        try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [address])
            try await client.createTopic(topic, partitions: Int32(parts.count))
            for (partition, lines) in parts.enumerated() {
                for start in stride(from: 0, to: lines.count, by: 2_000) {
                    let records = lines[start..<min(start + 2_000, lines.count)].map { KafkaRecord(timestamp: timestamp, key: nil, value: ByteBuffer(string: $0)) }
                    _ = try await client.produce(RecordBatch(records: records), topic: topic, partition: Int32(partition))
                }
            }
            await client.close()
        }
    }

    /// Flips one byte in the middle of the largest state file of the newest completed checkpoint.
    static func damageLatestCheckpoint(in directory: String) throws {
        let completed = try FileManager.default.contentsOfDirectory(atPath: directory).compactMap { name -> Int? in
            name.hasPrefix("chk-") && FileManager.default.fileExists(atPath: "\(directory)/\(name)/_metadata") ? Int(name.dropFirst(4)) : nil
        }
        guard let newest = completed.max() else { throw InjectedFailure(message: "no completed checkpoint in \(directory)") }
        let path = "\(directory)/chk-\(newest)"
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".state") }
        let largest = try files.max { a, b in
            (try FileManager.default.attributesOfItem(atPath: path + "/" + a)[.size] as? Int ?? 0) < (try FileManager.default.attributesOfItem(atPath: path + "/" + b)[.size] as? Int ?? 0)
        }
        guard let largest else { throw InjectedFailure(message: "\(path) has no state file") }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path + "/" + largest))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path + "/" + largest))
    }
}
