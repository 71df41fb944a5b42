import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs

/// `weir-bench`: Weir's benchmarks, each measurement in its own child process so that its peak
/// RSS is its own, and every Weir figure is reported as a ratio to a baseline measured in the
/// same invocation.
@main
struct WeirBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir-bench",
        abstract: "Weir's throughput benchmarks (run with `swift run -c release weir-bench`).",
        discussion: """
            Jobs: 'window' (generator → keyBy → 1 s tumbling event-time window sum → discarding sink) and \
            'running-sum' (generator → keyBy → rolling sum → discarding sink). The baseline ('limit') computes \
            the same results in a plain single-threaded Swift loop with no engine.
            """,
        subcommands: [Suite.self, Single.self, VersusFlink.self, StateBackends.self, GrowingState.self, StateSingle.self],
        defaultSubcommand: Suite.self)
}

enum Job: String, ExpressibleByArgument, CaseIterable, Codable {
    case window
    case runningSum = "running-sum"
    /// The window job with exactly-once checkpoints every second.
    case windowCheckpointed = "window-checkpointed"
    /// The same, writing through the exactly-once file sink.
    case windowFileSink = "window-file-sink"
    /// The running sum with exactly-once checkpoints every second.
    case runningSumCheckpointed = "running-sum-checkpointed"
}

enum Engine: String, ExpressibleByArgument, Codable {
    /// The plain loop.
    case limit
    /// Weir, with the job as defined in the Weir module (ReferenceWorkload).
    case weir
    /// Weir, with the same job written in this (user) module.
    case weirUserModule = "weir-user-module"
    /// Apache Flink's mini-cluster running the same job (`Benchmarks/Peers/Flink`); measured
    /// by `versus-flink`, never in this process.
    case flink
}

/// One completed checkpoint of a measurement. Flink's REST API reports no task pause or
/// snapshot copy time (those are `nil` for Flink), Weir's figures no checkpointed size here.
struct CheckpointFigures: Codable {
    var durationMilliseconds: Int64
    /// The whole state (what a restore reads).
    var stateSize: Int
    /// What this checkpoint wrote (an incremental one: only its new files).
    var checkpointedSize: Int?
    var maxTaskPauseMicroseconds: Int64?
    var maxSnapshotMicroseconds: Int64?
}

struct Measurement: Codable {
    var job: Job
    var engine: Engine
    var parallelism: Int
    var events: Int64
    var seconds: Double
    var peakRSSKilobytes: Int
    var resultCount: Int
    var checksum: Int64
    /// Checkpointed jobs: figures of the completed checkpoints (the final one excluded).
    var checkpoints: [CheckpointFigures]?
    /// A restore measurement (the Flink peer's `--restore-at`): from the restored job's
    /// submission to its first result, and the size of the checkpoint it restored.
    var restoreSeconds: Double?
    var restoredStateSize: Int64?

    var eventsPerSecond: Double { Double(events) / seconds }
}

/// Runs one measurement in this process and prints it as one JSON line.
struct Single: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one measurement in this process (used by the suite).")

    @Option var job: Job = .window
    @Option var engine: Engine = .weir
    @Option var parallelism: Int = 1
    @Option var events: Int64 = 10_000_000
    @Option var keys: Int = 10_000
    @Option(help: "window-file-sink: write the committed files here and keep them (default: a temporary directory, removed).")
    var outputDirectory: String?

    func run() throws {
        guard engine != .flink else { throw ValidationError("Flink runs through Benchmarks/Peers/Flink/flink.sh, not in this process") }
        let workload = ReferenceWorkload(events: events, keys: keys)
        let started = ProcessingClock.monotonicNanoseconds()
        let (count, checksum, checkpoints, jobSeconds, jobPeakRSS) = try Runner.run(job: job, engine: engine, parallelism: parallelism, workload: workload, outputDirectory: outputDirectory)
        let seconds = jobSeconds ?? Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9
        let measurement = Measurement(job: job, engine: engine, parallelism: parallelism, events: events, seconds: seconds,
                                      peakRSSKilobytes: jobPeakRSS ?? Self.peakRSSKilobytes(), resultCount: count, checksum: checksum, checkpoints: checkpoints)
        print(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
    }

    /// This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    /// across exec, so a child would report its parent's peak when the parent was bigger.
    static func peakRSSKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.filter(\.isNumber)) ?? 0
    }
}

/// Runs every measurement, alternating engines, and prints a Markdown table.
struct Suite: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the whole suite and print the table for BENCHMARKS.md.")

    @Option(help: "Events per measurement.") var events: Int64 = 10_000_000
    @Option(help: "Rounds; each round runs every engine once, in turn.") var rounds: Int = 3
    @Option(help: "Distinct keys.") var keys: Int = 10_000
    @Flag(help: "Also measure the job written outside the Weir module.") var userModule = false
    @Option(help: "Events per measurement of the checkpoint comparison (long enough for several 1 s checkpoints).") var checkpointEvents: Int64 = 30_000_000
    @Flag(help: "Skip the checkpoint comparison.") var skipCheckpoints = false
    @Flag(help: "Only the checkpoint comparison.") var onlyCheckpoints = false

    func run() throws {
        if !onlyCheckpoints { try throughput() }
        if !skipCheckpoints {
            try checkpointOverhead()
            try fileSink()
        }
    }

    /// The checkpointed window job through the exactly-once file sink against the same job with
    /// a discarding sink, and the visibility latency of the file sink.
    private func fileSink() throws {
        var ratios: [Int: [Double]] = [:]
        var rates: [String: [Double]] = [:]
        for round in 1...rounds {
            for parallelism in [1, 2] {
                let discarding = try runChild(job: .windowCheckpointed, engine: .weir, parallelism: parallelism, events: checkpointEvents)
                let files = try runChild(job: .windowFileSink, engine: .weir, parallelism: parallelism, events: checkpointEvents)
                guard discarding.checksum == files.checksum, discarding.resultCount == files.resultCount else {
                    throw ValidationError("the file sink's committed output differs from the discarding sink's results")
                }
                ratios[parallelism, default: []].append(files.eventsPerSecond / discarding.eventsPerSecond)
                rates["discarding/\(parallelism)", default: []].append(discarding.eventsPerSecond)
                rates["files/\(parallelism)", default: []].append(files.eventsPerSecond)
                FileHandle.standardError.write(Data("round \(round): window p=\(parallelism) checkpointed, discarding \(Int(discarding.eventsPerSecond)) events/s, exactly-once files \(Int(files.eventsPerSecond)) events/s\n".utf8))
            }
        }
        print("")
        print("| parallelism | events/s, discarding sink | events/s, exactly-once file sink | ratio (median of per-round ratios) |")
        print("|---|---|---|---|")
        for parallelism in [1, 2] {
            print("| \(parallelism) | \(format(median(rates["discarding/\(parallelism)"]!))) | \(format(median(rates["files/\(parallelism)"]!))) | \(String(format: "%.2f", median(ratios[parallelism]!))) |")
        }
        let latency = try VisibilityLatency.measure()
        print("")
        print("Visibility latency of the exactly-once file sink (events at \(latency.rate) per second in real time, 1 s windows, checkpoints every 1 s, parallelism 2, \(latency.windows) windows): from a window's end to its results in a committed file, median \(latency.median) ms, p90 \(latency.p90) ms, max \(latency.max) ms.")
    }

    /// The window job with and without checkpoints every second, alternately, and the figures
    /// of the checkpoints themselves.
    private func checkpointOverhead() throws {
        var ratios: [Int: [Double]] = [:]
        var rates: [String: [Double]] = [:]
        var figures: [Int: [CheckpointFigures]] = [:]
        for round in 1...rounds {
            for parallelism in [1, 2] {
                let plain = try runChild(job: .window, engine: .weir, parallelism: parallelism, events: checkpointEvents)
                let checkpointed = try runChild(job: .windowCheckpointed, engine: .weir, parallelism: parallelism, events: checkpointEvents)
                guard plain.checksum == checkpointed.checksum else { throw ValidationError("checkpoints changed the results") }
                ratios[parallelism, default: []].append(checkpointed.eventsPerSecond / plain.eventsPerSecond)
                rates["plain/\(parallelism)", default: []].append(plain.eventsPerSecond)
                rates["checkpointed/\(parallelism)", default: []].append(checkpointed.eventsPerSecond)
                figures[parallelism, default: []] += checkpointed.checkpoints ?? []
                FileHandle.standardError.write(Data("round \(round): window p=\(parallelism) without checkpoints \(Int(plain.eventsPerSecond)) events/s, with \(Int(checkpointed.eventsPerSecond)) events/s, \(checkpointed.checkpoints?.count ?? 0) checkpoints\n".utf8))
            }
        }
        print("")
        print("| parallelism | events/s without checkpoints | events/s with checkpoints every 1 s | ratio (median of per-round ratios) | checkpoints | snapshot copy per checkpoint, median / max | task pause incl. barrier forwarding, median / max | duration, median | state size, median |")
        print("|---|---|---|---|---|---|---|---|---|")
        for parallelism in [1, 2] {
            let all = figures[parallelism] ?? []
            let pauses = all.compactMap(\.maxTaskPauseMicroseconds).map(Double.init)
            let copies = all.compactMap(\.maxSnapshotMicroseconds).map(Double.init)
            print("| \(parallelism) | \(format(median(rates["plain/\(parallelism)"]!))) | \(format(median(rates["checkpointed/\(parallelism)"]!))) | \(String(format: "%.2f", median(ratios[parallelism]!))) | \(all.count) | \(all.isEmpty ? "–" : String(format: "%.0f µs / %.0f µs", median(copies), copies.max()!)) | \(all.isEmpty ? "–" : String(format: "%.0f µs / %.0f µs", median(pauses), pauses.max()!)) | \(all.isEmpty ? "–" : String(format: "%.0f ms", median(all.map { Double($0.durationMilliseconds) }))) | \(all.isEmpty ? "–" : String(format: "%.0f KiB", median(all.map { Double($0.stateSize) }) / 1024)) |")
        }
    }

    private func throughput() throws {
        var configurations: [(Job, Engine, Int)] = []
        for job in [Job.window, .runningSum] {
            configurations.append((job, .limit, 1))
            configurations.append((job, .weir, 1))
            configurations.append((job, .weir, 2))
            if userModule { configurations.append((job, .weirUserModule, 1)) }
        }
        var results: [String: [Measurement]] = [:]
        for round in 1...rounds {
            for (job, engine, parallelism) in configurations {
                let measurement = try runChild(job: job, engine: engine, parallelism: parallelism)
                FileHandle.standardError.write(Data("round \(round): \(job.rawValue) \(engine.rawValue) p=\(parallelism): \(Int(measurement.eventsPerSecond)) events/s, \(measurement.peakRSSKilobytes / 1024) MiB\n".utf8))
                results["\(job.rawValue)/\(engine.rawValue)/\(parallelism)", default: []].append(measurement)
            }
        }
        var checksums: [Job: Int64] = [:]
        print("| job | engine | parallelism | events/s (median of \(rounds)) | ratio to limit (median of per-round ratios) | peak RSS |")
        print("|---|---|---|---|---|---|")
        for (job, engine, parallelism) in configurations {
            let runs = results["\(job.rawValue)/\(engine.rawValue)/\(parallelism)"]!
            let limits = results["\(job.rawValue)/limit/1"]!
            let ratios = zip(runs, limits).map { $0.eventsPerSecond / $1.eventsPerSecond }
            if let expected = checksums[job], runs.contains(where: { $0.checksum != expected }) {
                throw ValidationError("\(job.rawValue) \(engine.rawValue) p=\(parallelism) produced other results than the limit")
            }
            checksums[job] = runs[0].checksum
            let name = engine == .limit ? "limit (plain Swift loop)" : engine == .weir ? "Weir" : "Weir, job in a user module"
            print("| \(job.rawValue) | \(name) | \(parallelism) | \(format(median(runs.map(\.eventsPerSecond)))) | \(String(format: "%.2f", median(ratios))) | \(median(runs.map { Double($0.peakRSSKilobytes) }) / 1024 |> { String(format: "%.0f MiB", $0) }) |")
        }
    }

    private func runChild(job: Job, engine: Engine, parallelism: Int, events: Int64? = nil) throws -> Measurement {
        try ChildMeasurement.weir(job: job, engine: engine, parallelism: parallelism, events: events ?? self.events, keys: keys).measurement
    }
}

infix operator |>: AdditionPrecedence
func |> <A, B>(value: A, transform: (A) -> B) -> B { transform(value) }
