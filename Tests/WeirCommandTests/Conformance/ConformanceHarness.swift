import Foundation
import Glibc
import NIOCore
import Weir
import XCTest
@testable import WeirKafka
import WeirTestSupport
import WeirKafkaTestSupport

/// One case of the exactly-once conformance matrix: the reference job (`weir run`: source →
/// keyBy → 1 s tumbling event-time window sum → exactly-once sink) fed from one source, written
/// to one sink, run under one fault schedule, possibly at another parallelism after each
/// restore — then checked by ``IndependentWindowSums`` against the raw input.
struct ConformanceCase: CustomStringConvertible {
    enum Source: String { case generator, files, kafka }
    enum Sink: String { case files, kafka, postgres, s3 }
    /// Where the checkpoints go: the data directory, or a bucket of an S3-compatible server
    /// (rclone serve s3) through `--checkpoint-dir s3://…`.
    enum Checkpoints: String { case directory, s3 }
    enum Fault: CustomStringConvertible {
        /// SIGKILL at random moments, this many times.
        case randomKills(Int)
        /// The job kills itself at each two-phase-commit step in turn (one run per step), then
        /// once more while restoring.
        case everyCommitStep
        /// SIGKILL after a few checkpoints, then one byte of the latest checkpoint's window state
        /// flipped before the resume.
        case damagedLatestCheckpoint
        /// The same, resumed with `--accept-duplicates`: the run must finish (no false "transaction
        /// lost"), lose nothing and compute nothing wrong; duplicates are allowed and counted.
        case damagedLatestCheckpointAcceptingDuplicates
        /// The server the job talks to (the Kafka broker, or PostgreSQL) is stopped, left down for
        /// `outageSeconds` and started again, this many times while one run goes on: the job
        /// must ride it out (8 s: the clients' own retries; 30 s: longer than the Kafka
        /// consumer's retries of about 15 s, so only restarting from a checkpoint rides it out).
        case serverRestarts(Int, outageSeconds: Int = 8)
        /// The run's data directory lies on a small file system that fills up mid-run; space is
        /// freed a few seconds later: the job must ride it out.
        case diskFullThenFreed
        /// Workers only: a worker is stopped (SIGSTOP) until the others have rebalanced without
        /// it, then woken — a zombie whose tasks run elsewhere by then — this many times.
        case workerPauses(Int)

        var description: String {
            switch self {
            case .randomKills(let kills): return "\(kills) random SIGKILLs"
            case .everyCommitStep: return "SIGKILL at every 2PC step"
            case .damagedLatestCheckpoint: return "damaged latest checkpoint"
            case .damagedLatestCheckpointAcceptingDuplicates: return "damaged latest checkpoint, --accept-duplicates"
            case .serverRestarts(let restarts, let seconds): return "\(restarts) server outage\(restarts == 1 ? "" : "s") of \(seconds) s"
            case .diskFullThenFreed: return "disk full, then freed"
            case .workerPauses(let pauses): return "\(pauses) worker pause\(pauses == 1 ? "" : "s") past the session (zombies)"
            }
        }
    }

    /// One `weir run` process, or `weir worker` processes in one consumer group (Kafka → Kafka
    /// only, the reference job with its repartition hop, on Tansu: noida-db never expires a
    /// dead member). For workers, `parallelism` is the number of live workers, cycled after
    /// each fault: `[3, 2, 4]` kills one and adds none, then adds two.
    enum Deployment: String { case process, workers }
    /// Where the job's window state lives (`weir run --state-backend`), and for RocksDB which
    /// checkpoints it takes (`--rocksdb-checkpoints`: incremental by default, or full).
    enum StateBackend: String {
        case heap, rocksdb, rocksdbFull

        var isRocksDB: Bool { self != .heap }
        /// In the case's name and the matrix table.
        var label: String {
            switch self {
            case .heap: return "heap"
            case .rocksdb: return "RocksDB"
            case .rocksdbFull: return "RocksDB, full checkpoints"
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
    var checkpoints = Checkpoints.directory
    var deployment = Deployment.process
    var stateBackend = StateBackend.heap

    var description: String {
        let counts = parallelism.map(String.init).joined(separator: "→")
        return "\(source.rawValue) → \(sink.rawValue), " + (deployment == .workers ? "\(counts) workers across a repartition hop" : "parallelism \(counts)")
            + ", \(fault)" + (checkpoints == .s3 ? ", checkpoints on S3" : "") + (stateBackend.isRocksDB ? ", state in \(stateBackend.label)" : "")
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
        /// Server restarts done, and restarts the job reported.
        var serverRestarts = 0
        /// Workers paused, and of those the ones the others rebalanced without (zombies when woken).
        var pauses = 0
        var zombies = 0
    }

    /// The PostgreSQL server the test command started, and its directory for restarts.
    static var postgresURL: String? { ProcessInfo.processInfo.environment["WEIR_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    /// The `weir` the cases run: the one built beside the tests, or `WEIR_CONFORMANCE_WEIR`
    /// (an older build, to show that a case fails there; with `WEIR_CONFORMANCE_LEGACY=1` the
    /// harness leaves out the flags such a build does not know).
    static var weir: URL {
        ProcessInfo.processInfo.environment["WEIR_CONFORMANCE_WEIR"].map { URL(fileURLWithPath: $0) } ?? CrashHarness.executable(named: "weir")
    }
    static var isLegacy: Bool { ProcessInfo.processInfo.environment["WEIR_CONFORMANCE_LEGACY"] == "1" }

    static var postgresDirectory: String? { ProcessInfo.processInfo.environment["WEIR_POSTGRES_DIR"].flatMap { $0.isEmpty ? nil : $0 } }

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

    func run(_ testCase: ConformanceCase, broker: KafkaTestBroker?, s3: RcloneS3Server? = nil, seed: UInt64) throws -> Outcome {
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if testCase.deployment == .workers {
            guard testCase.stateBackend == .heap else { throw InjectedFailure(message: "weir worker has no --state-backend: worker cases run on the heap") }
            return try runWorkers(testCase, broker: broker, s3: s3, seed: seed)
        }
        let data = root + "/data"
        var arguments = ["run", "--data-dir", data, "--checkpoint-interval", "100", "--show", "0", "--disorder", "\(disorder)"]
        // Where the checkpoints can be watched (and damaged) as files: the data directory, or
        // the S3 server's own directory of the bucket.
        let checkpoints: String
        var environment: [String: String] = [:]
        switch testCase.checkpoints {
        case .directory:
            checkpoints = data + "/checkpoints"
        case .s3:
            guard let s3 else { throw InjectedFailure(message: "a case with checkpoints on S3 needs an S3 server") }
            arguments += ["--checkpoint-dir", "s3://\(s3.bucket)/conformance"]
            checkpoints = s3.path(ofKey: "conformance")
        }
        if let s3 {
            arguments += ["--s3-endpoint", s3.endpoint.absoluteString]
            environment = s3.credentialsEnvironment
        }
        if !Self.isLegacy { arguments += ["--restart-delay", "50", "--restart-max-delay", "500", "--restart-attempts", "100"] }
        // The local instances of killed runs stay behind in there; the next run deletes them.
        if testCase.stateBackend.isRocksDB { arguments += ["--state-backend", "rocksdb", "--rocksdb-dir", root + "/rocksdb"] }
        if testCase.stateBackend == .rocksdbFull { arguments += ["--rocksdb-checkpoints", "full"] }
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
        let table = "conformance_\(UInt32.random(in: 0 ... .max))"
        switch testCase.sink {
        case .files:
            break
        case .kafka:
            guard let bootstrap else { throw InjectedFailure(message: "a Kafka case needs a broker") }
            arguments += ["--sink", "kafka", "--output-topic", "conformance-out", "--kafka-bootstrap", bootstrap]
        case .postgres:
            guard let url = Self.postgresURL else { throw InjectedFailure(message: "a PostgreSQL case needs WEIR_POSTGRES_URL (scripts/test.sh starts a server)") }
            arguments += ["--sink", "postgres", "--postgres-url", url, "--postgres-table", table]
        case .s3:
            guard let s3 else { throw InjectedFailure(message: "an S3 case needs an S3 server") }
            arguments += ["--sink", "s3", "--output", "s3://\(s3.bucket)/conformance-output"]
        }
        if case .diskFullThenFreed = testCase.fault {
            // A file system of its own for the run's data: checkpoints and the file sink's parts.
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            guard Self.shell("mount -t tmpfs -o size=24m weir-conformance \(data)") == 0 else {
                throw XCTSkip("cannot mount a small file system for the disk-full case (needs root): run the matrix as root")
            }
        }
        defer { if case .diskFullThenFreed = testCase.fault { _ = Self.shell("umount \(data)") } }
        let parallelism = testCase.parallelism
        var outcome = Outcome()
        switch testCase.fault {
        case .randomKills(let kills):
            var harness = CrashHarness(executable: Self.weir, arguments: arguments)
            harness.environment = environment
            harness.randomKills = kills
            harness.seed = seed
            harness.killDelayMilliseconds = 50...400
            harness.killsCountFromFirstCheckpointIn = checkpoints
            harness.logPath = root + "/runs.log"
            harness.extraArguments = { run in ["--parallelism", "\(parallelism[run % parallelism.count])"] }
            let result = try harness.run()
            (outcome.kills, outcome.crashes, outcome.runs) = (result.kills, result.crashes, result.runs)
        case .everyCommitStep:
            let steps = ["before-precommit", "after-precommit", "before-commit", "mid-commit"]
            var harness = CrashHarness(executable: Self.weir, arguments: arguments)
            harness.environment = environment
            harness.logPath = root + "/runs.log"
            harness.extraArguments = { run in
                var extra = ["--parallelism", "\(parallelism[run % parallelism.count])"]
                // Run k crashes at step k from its first new checkpoint on (ids go on from the
                // restored one; the final checkpoint at the end of the input is a new one too,
                // so the crash comes however little input is left); then one crash while restoring.
                let first = (CrashHarness.newestCheckpoint(in: checkpoints) ?? 0) + 1
                if run < steps.count { extra += ["--crash-at", steps[run], "--crash-checkpoint", "\(first)"] }
                if run == steps.count { extra += ["--crash-at", "before-recovery", "--crash-checkpoint", "0"] }
                return extra
            }
            let result = try harness.run()
            (outcome.kills, outcome.crashes, outcome.runs) = (result.kills, result.crashes, result.runs)
        case .serverRestarts(let restarts, let outageSeconds):
            let job = try BackgroundRun(Self.weir, arguments + ["--parallelism", "\(parallelism[0])"], environment: environment, log: root + "/runs.log")
            var random = SplitMix64(seed: seed)
            for _ in 0..<restarts {
                // A checkpoint after the last restart, a little more, then the server goes down and up.
                job.waitForCheckpoint(in: checkpoints, above: CrashHarness.newestCheckpoint(in: checkpoints) ?? 0)
                usleep(useconds_t(100_000 + random.next() % 400_000))
                guard job.isRunning else { break }
                switch testCase.sink {
                case .postgres:
                    guard let directory = Self.postgresDirectory else { throw XCTSkip("WEIR_POSTGRES_DIR is not set: the server cannot be restarted") }
                    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/postgres-server.sh").standardized.path
                    guard Self.shell("\(script) restart \(directory) \(outageSeconds) >/dev/null 2>&1") == 0 else { throw InjectedFailure(message: "the PostgreSQL server did not restart") }
                default:
                    guard let broker else { throw InjectedFailure(message: "no server to restart") }
                    try broker.restart(after: .seconds(outageSeconds))
                }
                outcome.serverRestarts += 1
            }
            let (status, said) = job.finish()
            outcome.runs = 1
            guard status == 0 else {
                throw InjectedFailure(message: "the run did not ride out \(outcome.serverRestarts) server restarts (exit \(status)):\n\(said.split(separator: "\n").suffix(12).joined(separator: "\n"))")
            }
        case .diskFullThenFreed:
            let job = try BackgroundRun(Self.weir, arguments + ["--parallelism", "\(parallelism[0])"], environment: environment, log: root + "/runs.log")
            job.waitForCheckpoint(in: checkpoints, above: 2)
            // Fill what is left of the file system, let the job fail on it (and restart, and fail
            // again) for two seconds, then free the space.
            let filler = data + "/filler"
            _ = Self.shell("dd if=/dev/zero of=\(filler) bs=64k 2>/dev/null")
            sleep(2)
            try FileManager.default.removeItem(atPath: filler)
            let (status, said) = job.finish()
            outcome.runs = 1
            guard status == 0 else {
                throw InjectedFailure(message: "the run did not ride out a full disk (exit \(status)):\n\(said.split(separator: "\n").suffix(12).joined(separator: "\n"))")
            }
            guard said.contains("No space left on device") else {
                throw InjectedFailure(message: "the disk never filled up for the job (the case proves nothing): \(said.suffix(400))")
            }
        case .workerPauses:
            throw InjectedFailure(message: "\(testCase.fault) is a fault of workers: set the case's deployment to .workers")
        case .damagedLatestCheckpoint, .damagedLatestCheckpointAcceptingDuplicates:
            let first = try BackgroundRun(Self.weir, arguments + ["--parallelism", "\(parallelism[0])"], environment: environment, log: nil)
            first.waitForCheckpoint(in: checkpoints, above: 3)
            first.kill()
            outcome.kills = 1
            let damaged = try Self.damageLatestCheckpoint(in: checkpoints)
            var accept: [String] = []
            if case .damagedLatestCheckpointAcceptingDuplicates = testCase.fault { accept = ["--accept-duplicates"] }
            let resumed = try WeirCommandRun(executable: Self.weir, arguments + ["--resume", "--parallelism", "\(parallelism[1 % parallelism.count])"] + accept, environment: environment)
            outcome.runs = 2
            if resumed.status != 0 {
                outcome.refusal = resumed.output
                return outcome
            }
            // A damage the restore did not notice would prove nothing (or worse).
            guard resumed.output.contains("is not usable") else {
                throw InjectedFailure(message: "the resumed run did not report the damaged \(damaged): \(resumed.output.suffix(600))")
            }
        }
        let committed: [IndependentWindowSums.Row]
        switch testCase.sink {
        case .files:
            committed = try IndependentWindowSums.committedRows(inDirectory: data + "/output")
        case .kafka:
            committed = try IndependentWindowSums.committedRows(topic: "conformance-out", partitions: parallelism[0], bootstrap: bootstrap!,
                                                                python: try ConfluentPeer.python())
        case .postgres:
            committed = try IndependentWindowSums.committedRows(table: table, url: Self.postgresURL!)
            _ = Self.shell("psql '\(Self.postgresURL!)' -q -c 'DROP TABLE IF EXISTS \(table)' >/dev/null 2>&1")
        case .s3:
            // The objects as the server stores them (its own directory), not read through WeirS3.
            committed = try IndependentWindowSums.committedRows(inDirectory: s3!.path(ofKey: "conformance-output"))
        }
        outcome.verdict = IndependentWindowSums.compare(committed: committed, expected: expected)
        return outcome
    }

    /// Runs a shell command; its exit status. Not Foundation's `Process`: a server the command
    /// starts (a restarted PostgreSQL) inherits the descriptor `Process` watches, and
    /// `waitUntilExit` would wait for the server instead of the command.
    @discardableResult
    static func shell(_ command: String) -> Int32 {
        let status = system(command)
        return status == -1 ? -1 : (status >> 8) & 0xff
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

    /// Flips one byte in the middle of the largest state file of the newest completed
    /// checkpoint — or, for incremental checkpoints (a `shared` area of RocksDB files), in an
    /// SST file the newest checkpoint references and the one before it does not, so that only
    /// the newest is damaged. Returns what it damaged.
    @discardableResult
    static func damageLatestCheckpoint(in directory: String) throws -> String {
        let completed = CrashHarness.checkpointDirectories(in: directory).filter { FileManager.default.fileExists(atPath: $0.path + "/_metadata") }
            .sorted { $0.id > $1.id }
        guard let path = completed.first?.path else { throw InjectedFailure(message: "no completed checkpoint in \(directory)") }
        if completed.count > 1, let shared = try newSharedFiles(of: path, notIn: completed[1].path, sharedArea: directory + "/shared").last {
            try flipMiddleByte(of: shared)
            return shared
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".state") }
        let largest = try files.max { a, b in
            (try FileManager.default.attributesOfItem(atPath: path + "/" + a)[.size] as? Int ?? 0) < (try FileManager.default.attributesOfItem(atPath: path + "/" + b)[.size] as? Int ?? 0)
        }
        guard let largest else { throw InjectedFailure(message: "\(path) has no state file") }
        try flipMiddleByte(of: path + "/" + largest)
        return path + "/" + largest
    }

    private static func flipMiddleByte(of path: String) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// The shared files (`<instance>/<n>.sst`, found as text in the state files, not decoded
    /// with Weir's code) that `checkpoint` references and `previous` does not, which exist in
    /// `sharedArea`, in name order.
    static func newSharedFiles(of checkpoint: String, notIn previous: String, sharedArea: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: sharedArea) else { return [] }
        let referenced = { (directory: String) throws -> Set<String> in
            var names = Set<String>()
            let pattern = try NSRegularExpression(pattern: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9]+\\.sst")
            for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".state") {
                let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)), as: UTF8.self)
                for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range, in: text) { names.insert(String(text[range])) }
                }
            }
            return names
        }
        return try referenced(checkpoint).subtracting(try referenced(previous)).sorted()
            .map { sharedArea + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
    }
}


/// One `weir` run in the background (its output appended to `log`, or dropped), for faults
/// applied from outside while it runs. Killed if still running when dropped.
final class BackgroundRun {
    private let process = Process()
    private let log: String?

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], log: String?) throws {
        self.log = log
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let log {
            if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
    }

    deinit { kill() }

    var isRunning: Bool { process.isRunning }

    /// Waits (at most `timeout` seconds) until the run has a `chk-N` in `directory` with N above `above`.
    func waitForCheckpoint(in directory: String, above: Int, timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline, (CrashHarness.newestCheckpoint(in: directory) ?? 0) <= above { usleep(5_000) }
    }

    /// SIGKILL, and wait for it.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for the run's end: its exit status and what its log holds.
    func finish() -> (status: Int32, output: String) {
        process.waitUntilExit()
        return (process.terminationStatus, log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "")
    }
}
