import Foundation
import XCTest
import Weir

/// Drives a job in a child process through crashes: starts it, kills it with SIGKILL after a
/// random delay (or lets it kill itself at a protocol step it was told to crash at), starts it
/// again with `--resume`, until a run exits 0. Any sink's crash tests can use it; the job
/// decides what it writes, the test verifies it afterwards.
package struct CrashHarness {
    /// The job's executable, built beside the test bundle (`swift build --build-tests`).
    package let executable: URL
    /// Arguments of every run.
    package let arguments: [String]
    /// Random kills to do, each after a delay in this range.
    package var randomKills = 0
    package var killDelayMilliseconds: ClosedRange<UInt64> = 80...300
    package var seed: UInt64 = 1
    /// Extra arguments of run number *n* (from 0), e.g. a crash point.
    package var extraArguments: (Int) -> [String] = { _ in [] }
    /// Where the runs' standard error goes (appended), for diagnosing a failure; default nowhere.
    package var logPath: String?
    /// The job's checkpoint directory: if set, a random kill's delay counts from the run's
    /// first new checkpoint (`chk-N` above those there at its start), not from its start — for
    /// jobs whose start takes longer than the delays (so that kills hit a working job, not only
    /// its start; the start has its own crash point). Waits at most 20 s for it.
    package var killsCountFromFirstCheckpointIn: String?
    /// Variables added to the runs' environment (credentials of a test server).
    package var environment: [String: String] = [:]

    package init(executable: URL, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    package struct Outcome {
        /// Kills by the harness.
        package var kills = 0
        /// Runs that ended by a signal without the harness (crash points).
        package var crashes = 0
        package var runs = 0
    }

    package static func executable(named name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    }

    package func run() throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw InjectedFailure(message: "\(executable.path) is missing: build the package first (swift build --build-tests)")
        }
        var random = SplitMix64(seed: seed)
        var outcome = Outcome()
        while outcome.runs < 500 {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments + (outcome.runs > 0 ? ["--resume"] : []) + extraArguments(outcome.runs)
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
            var log: FileHandle?
            if let logPath {
                if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
                log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
                log?.seekToEndOfFile()
                log?.write(Data("== run \(outcome.runs + 1): \(process.arguments!.joined(separator: " "))\n".utf8))
            }
            defer { try? log?.close() }
            process.standardError = log ?? FileHandle.nullDevice
            let checkpointsBefore = killsCountFromFirstCheckpointIn.map(Self.newestCheckpoint(in:)) ?? nil
            try process.run()
            // Whatever happens in the test, the job it started does not outlive it.
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
            outcome.runs += 1
            if outcome.kills < randomKills {
                if let directory = killsCountFromFirstCheckpointIn {
                    let deadline = Date().addingTimeInterval(20)
                    while process.isRunning, Date() < deadline, (Self.newestCheckpoint(in: directory) ?? 0) <= (checkpointsBefore ?? 0) { usleep(5_000) }
                }
                let span = killDelayMilliseconds.upperBound - killDelayMilliseconds.lowerBound + 1
                usleep(useconds_t((killDelayMilliseconds.lowerBound + random.next() % span) * 1_000))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    outcome.kills += 1
                    continue
                }
            }
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal {
                outcome.crashes += 1
                continue
            }
            guard process.terminationStatus == 0 else {
                let said = logPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.map { "; its log ends:\n" + $0.split(separator: "\n").suffix(15).joined(separator: "\n") } ?? ""
                throw InjectedFailure(message: "run \(outcome.runs) exited with status \(process.terminationStatus) after \(outcome.kills) kills\(said)")
            }
            return outcome
        }
        throw InjectedFailure(message: "the job did not finish in 500 runs")
    }

    /// The highest N of the `chk-N` directories in `directory`.
    /// The greatest `N` of the `chk-N` in `directory`, or in its subdirectories (S3 storage
    /// keeps each run's checkpoints in a folder of its own: `<run key>/chk-N`, as rclone's
    /// directory shows them).
    package static func newestCheckpoint(in directory: String) -> Int? {
        checkpointDirectories(in: directory).map(\.id).max()
    }

    /// The `chk-N` directories in `directory` and its subdirectories, with their N.
    package static func checkpointDirectories(in directory: String) -> [(id: Int, path: String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).flatMap { name -> [(id: Int, path: String)] in
            if name.hasPrefix("chk-") { return Int(name.dropFirst(4)).map { [($0, directory + "/" + name)] } ?? [] }
            let inner = directory + "/" + name
            return ((try? FileManager.default.contentsOfDirectory(atPath: inner)) ?? []).compactMap { child in
                child.hasPrefix("chk-") ? Int(child.dropFirst(4)).map { ($0, inner + "/" + child) } : nil
            }
        }
    }
}
