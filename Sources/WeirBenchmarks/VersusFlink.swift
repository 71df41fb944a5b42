import ArgumentParser
import Foundation
import Weir

/// `weir-bench versus-flink`: Weir and Apache Flink on the same jobs, alternately (Weir, Flink,
/// Weir, Flink, …) in one run, each measurement in its own process.
///
/// Flink runs `Benchmarks/Peers/Flink/FlinkPeerJob.java` in its local mini-cluster: the same
/// generated events, keys, watermark cadence and parallelism. Both engines' results are
/// checked against each other: counts and checksums of the discarding sinks, and for the file
/// sink job the committed files themselves, line for line.
struct VersusFlink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versus-flink",
        abstract: "Weir against Apache Flink on the same jobs, alternately, and a table for BENCHMARKS.md.",
        discussion: """
            Jobs: (a) window sum, no checkpoints; (b) the same with exactly-once checkpoints every second; \
            (c) the same through the exactly-once file sink; (d) keyed running sum with checkpoints every second. \
            The Flink side is set up on first use by Benchmarks/Peers/Flink/flink.sh (Flink's jars from PyPI, \
            compiled with javac); it needs python3 and a Java 17 JDK.
            """)

    enum PeerJob: String, CaseIterable, ExpressibleByArgument {
        case a, b, c, d

        var job: Job {
            switch self {
            case .a: .window
            case .b: .windowCheckpointed
            case .c: .windowFileSink
            case .d: .runningSumCheckpointed
            }
        }

        var title: String {
            switch self {
            case .a: "(a) window sum, no checkpoints"
            case .b: "(b) window sum, checkpoints every 1 s"
            case .c: "(c) window sum → exactly-once files, checkpoints every 1 s"
            case .d: "(d) running sum, checkpoints every 1 s"
            }
        }
    }

    @Option(help: "Events per measurement, the same for both engines (long enough for several 1 s checkpoints).") var events: Int64 = 30_000_000
    @Option(help: "Distinct keys.") var keys: Int = 10_000
    @Option(help: "Weir/Flink pairs per job and parallelism.") var pairs: Int = 3
    @Option(parsing: .upToNextOption, help: "Parallelisms.") var parallelism: [Int] = [1, 2]
    @Option(parsing: .upToNextOption, help: "Jobs (a b c d).") var jobs: [PeerJob] = PeerJob.allCases
    @Option(help: "The Flink peer's script.") var flink: String = VersusFlink.defaultFlinkScript
    @Flag(help: "Skip the file sink's visibility latency (Weir alone).") var skipLatency = false

    /// The Flink release `flink.sh` installs.
    static let flinkVersion = "2.3.0"

    static var defaultFlinkScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Benchmarks/Peers/Flink/flink.sh").standardizedFileURL.path
    }

    func validate() throws {
        guard pairs >= 1, events > 0, keys > 0, parallelism.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("pairs, events, keys and parallelism must be positive")
        }
        guard FileManager.default.isExecutableFile(atPath: flink) else {
            throw ValidationError("no Flink peer script at \(flink); give --flink PATH")
        }
    }

    struct Pair {
        var weir: Measurement
        var flink: Measurement
        var ratio: Double { weir.eventsPerSecond / flink.eventsPerSecond }
    }

    func run() throws {
        log("Flink peer: \(flink) (the first run installs Flink's jars and compiles the job)")
        try FlinkPeer.setUp(flink)

        var results: [String: [Pair]] = [:]
        for job in jobs {
            for parallelism in parallelism {
                for pair in 1...pairs {
                    let measured = try measurePair(job, parallelism: parallelism)
                    results["\(job.rawValue)/\(parallelism)", default: []].append(measured)
                    log("\(job.title), p=\(parallelism), pair \(pair): Weir \(format(measured.weir.eventsPerSecond)) events/s, Flink \(format(measured.flink.eventsPerSecond)) events/s, ratio \(String(format: "%.2f", measured.ratio))")
                }
            }
        }
        var startUps: [StartUp] = []
        for pair in 1...pairs {
            let weir = try ChildMeasurement.weir(job: .window, engine: .weir, parallelism: 1, events: 1_000, keys: 10)
            let flink = try flinkChild(job: .window, parallelism: 1, events: 1_000, keys: 10, directory: nil)
            startUps.append((weir.wallSeconds, flink.wallSeconds, weir.measurement.peakRSSKilobytes, flink.measurement.peakRSSKilobytes))
            log("start-up, pair \(pair): Weir \(String(format: "%.3f", weir.wallSeconds)) s, Flink \(String(format: "%.3f", flink.wallSeconds)) s")
        }
        try report(results, startUps: startUps)
    }

    typealias StartUp = (weir: Double, flink: Double, weirRSS: Int, flinkRSS: Int)

    /// Prints the tables for BENCHMARKS.md, and measures the file sink's visibility latency.
    private func report(_ results: [String: [Pair]], startUps: [StartUp]) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        print("")
        let today = ISO8601DateFormatter()
        today.formatOptions = [.withFullDate]
        print("\(today.string(from: Date())), \(cores) cores, \(String(format: "%.0f", memory)) GiB; Flink \(VersusFlink.flinkVersion) (local mini-cluster); \(events) events, \(keys) keys, \(pairs) pairs per row")
        print("")
        print("| job | parallelism | Weir events/s (median) | Flink events/s (median) | Weir/Flink per pair | Weir/Flink, median | peak RSS Weir / Flink |")
        print("|---|---|---|---|---|---|---|")
        for job in jobs {
            for parallelism in parallelism {
                let runs = results["\(job.rawValue)/\(parallelism)"]!
                let perPair = runs.map { String(format: "%.2f", $0.ratio) }.joined(separator: ", ")
                let weirRSS = median(runs.map { Double($0.weir.peakRSSKilobytes) }) / 1024
                let flinkRSS = median(runs.map { Double($0.flink.peakRSSKilobytes) }) / 1024
                print("| \(job.title) | \(parallelism) | \(format(median(runs.map(\.weir.eventsPerSecond)))) | \(format(median(runs.map(\.flink.eventsPerSecond)))) | \(perPair) | **\(String(format: "%.2f", median(runs.map(\.ratio))))** | \(String(format: "%.0f", weirRSS)) MiB / \(String(format: "%.0f", flinkRSS)) MiB |")
            }
        }
        print("")
        print("| start-up (window job of 1,000 events, process spawn to exit) | median | peak RSS |")
        print("|---|---|---|")
        print("| Weir | \(String(format: "%.3f s", median(startUps.map(\.weir)))) | \(String(format: "%.0f MiB", median(startUps.map { Double($0.weirRSS) }) / 1024)) |")
        print("| Flink | \(String(format: "%.3f s", median(startUps.map(\.flink)))) | \(String(format: "%.0f MiB", median(startUps.map { Double($0.flinkRSS) }) / 1024)) |")

        // Weir alone: what its checkpoints cost, from the checkpointed runs above.
        let checkpointed: [(PeerJob, Int, [CheckpointFigures])] = jobs.filter { $0 == .b || $0 == .d }.flatMap { job in
            parallelism.map { p in (job, p, results["\(job.rawValue)/\(p)"]!.flatMap { $0.weir.checkpoints ?? [] }) }
        }.filter { !$0.2.isEmpty }
        if checkpointed.isEmpty {
            print("")
            print("(No checkpoint completed before the end of Weir's checkpointed runs: give more --events for checkpoint figures.)")
        } else {
            print("")
            print("| Weir alone (checkpoints before the final one) | parallelism | checkpoints | duration, median | state size, median | task pause incl. barrier forwarding, median / max |")
            print("|---|---|---|---|---|---|")
            for (job, parallelism, figures) in checkpointed {
                let pauses = figures.compactMap(\.maxTaskPauseMicroseconds).map(Double.init)
                print("| \(job.title) | \(parallelism) | \(figures.count) | \(String(format: "%.0f ms", median(figures.map { Double($0.durationMilliseconds) }))) | \(String(format: "%.0f KiB", median(figures.map { Double($0.stateSize) }) / 1024)) | \(String(format: "%.0f µs / %.0f µs", median(pauses), pauses.max()!)) |")
            }
        }
        if !skipLatency {
            let latency = try VisibilityLatency.measure()
            print("")
            print("Visibility latency of Weir's exactly-once file sink (events at \(latency.rate) per second in real time, 1 s windows, checkpoints every 1 s, parallelism 2, \(latency.windows) windows): from a window's end to its results in a committed file, median \(latency.median) ms, p90 \(latency.p90) ms, max \(latency.max) ms.")
        }
    }

    /// Weir, then Flink, on the same job; fails if their results differ.
    private func measurePair(_ job: PeerJob, parallelism: Int) throws -> Pair {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("weir-versus-flink-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let weirOutput = job == .c ? scratch + "/weir-out" : nil
        let weir = try ChildMeasurement.weir(job: job.job, engine: .weir, parallelism: parallelism, events: events, keys: keys, outputDirectory: weirOutput).measurement
        var flink = try flinkChild(job: job.job, parallelism: parallelism, events: events, keys: keys, directory: scratch + "/flink").measurement
        if job == .c {
            let weirFiles = try CommittedWindowSums.read(weirOutput!)
            let flinkFiles = try CommittedWindowSums.read(scratch + "/flink/out")
            guard weirFiles == flinkFiles else {
                throw ValidationError("\(job.title), p=\(parallelism): the committed files differ (Weir \(weirFiles.lines.count) lines, Flink \(flinkFiles.lines.count))")
            }
            (flink.resultCount, flink.checksum) = try flinkFiles.digest
        }
        guard weir.resultCount == flink.resultCount, weir.checksum == flink.checksum else {
            throw ValidationError("\(job.title), p=\(parallelism): Weir computed \(weir.resultCount) results (checksum \(weir.checksum)), Flink \(flink.resultCount) (checksum \(flink.checksum))")
        }
        return Pair(weir: weir, flink: flink)
    }

    private func flinkChild(job: Job, parallelism: Int, events: Int64, keys: Int, directory: String?) throws -> (measurement: Measurement, wallSeconds: Double) {
        var arguments = ["run", "--job", job.rawValue, "--parallelism", "\(parallelism)", "--events", "\(events)", "--keys", "\(keys)"]
        if let directory { arguments += ["--directory", directory] }
        return try ChildMeasurement.run(URL(fileURLWithPath: flink), arguments, what: "Flink \(job.rawValue) p=\(parallelism)")
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
