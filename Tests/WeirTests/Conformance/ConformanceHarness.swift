import Foundation
import Glibc
import NIOCore
import XCTest
@testable import WeirKafka

/// One case of the exactly-once conformance matrix: the reference job (`weir run`: source →
/// keyBy → 1 s tumbling event-time window sum → exactly-once sink) fed from one source, written
/// to one sink, run under one fault schedule, possibly at another parallelism after each
/// restore — then checked by ``IndependentWindowSums`` against the raw input.
struct ConformanceCase: CustomStringConvertible {
    enum Source: String { case generator, files, kafka }
    enum Sink: String { case files, kafka, postgres }
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
        /// The server the job talks to (the Kafka broker, or PostgreSQL) is stopped and started
        /// again this many times while one run goes on: the job must ride it out by restarting
        /// from its checkpoints, without a kill.
        case serverRestarts(Int)
        /// The run's data directory lies on a small file system that fills up mid-run; space is
        /// freed a few seconds later: the job must ride it out.
        case diskFullThenFreed

        var description: String {
            switch self {
            case .randomKills(let kills): return "\(kills) random SIGKILLs"
            case .everyCommitStep: return "SIGKILL at every 2PC step"
            case .damagedLatestCheckpoint: return "damaged latest checkpoint"
            case .damagedLatestCheckpointAcceptingDuplicates: return "damaged latest checkpoint, --accept-duplicates"
            case .serverRestarts(let restarts):
            let job = try BackgroundRun(Self.weir, arguments + ["--parallelism", "\(parallelism[0])"], log: root + "/runs.log")
            var random = SplitMix64Seeded(seed: seed)
            for _ in 0..<restarts {
                // A checkpoint after the last restart, a little more, then the server goes down and up.
                job.waitForCheckpoint(in: data + "/checkpoints", above: CrashHarness.newestCheckpoint(in: data + "/checkpoints") ?? 0)
                usleep(useconds_t(100_000 + random.next() % 400_000))
                guard job.isRunning else { break }
                switch testCase.sink {
                case .postgres:
                    guard let directory = Self.postgresDirectory else { throw XCTSkip("WEIR_POSTGRES_DIR is not set: the server cannot be restarted") }
                    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/postgres-server.sh").standardized.path
                    guard Self.shell("\(script) restart \(directory) >/dev/null 2>&1") == 0 else { throw InjectedFailure(message: "the PostgreSQL server did not restart") }
                default:
                    guard let broker else { throw InjectedFailure(message: "no server to restart") }
                    try broker.restart()
                }
                outcome.serverRestarts += 1
            }
            let (status, said) = job.finish()
            outcome.runs = 1
            guard status == 0 else {
                throw InjectedFailure(message: "the run did not ride out \(outcome.serverRestarts) server restarts (exit \(status)):\n\(said.split(separator: "\n").suffix(12).joined(separator: "\n"))")
            }
        case .diskFullThenFreed:
            let job = try BackgroundRun(Self.weir, arguments + ["--parallelism", "\(parallelism[0])"], log: root + "/runs.log")
            job.waitForCheckpoint(in: data + "/checkpoints", above: 2)
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
        case .damagedLatestCheckpoint, .damagedLatestCheckpointAcceptingDuplicates:
            let first = try BackgroundRun(Self.weir, arguments + ["--parallelism", "\(parallelism[0])"], log: nil)
            first.waitForCheckpoint(in: data + "/checkpoints", above: 3)
            first.kill()
            outcome.kills = 1
            try Self.damageLatestCheckpoint(in: data + "/checkpoints")
            var accept: [String] = []
            if case .damagedLatestCheckpointAcceptingDuplicates = testCase.fault { accept = ["--accept-duplicates"] }
            let resumed = try WeirCommandRun(executable: Self.weir, arguments + ["--resume", "--parallelism", "\(parallelism[1 % parallelism.count])"] + accept)
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
        case .postgres:
            committed = try IndependentWindowSums.committedRows(table: table, url: Self.postgresURL!)
            _ = Self.shell("psql '\(Self.postgresURL!)' -q -c 'DROP TABLE IF EXISTS \(table)' >/dev/null 2>&1")
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

/// The harness's own seeded choices (delays), independent of Weir's generator.
struct SplitMix64Seeded {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// One `weir` run in the background (its output appended to `log`, or dropped), for faults
/// applied from outside while it runs. Killed if still running when dropped.
final class BackgroundRun {
    private let process = Process()
    private let log: String?

    init(_ executable: URL, _ arguments: [String], log: String?) throws {
        self.log = log
        process.executableURL = executable
        process.arguments = arguments
        if let log {
            if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
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
