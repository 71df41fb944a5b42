import ArgumentParser
import Foundation
import Weir

/// `weir run`: the reference pipeline on embedded defaults.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the reference pipeline: generator → keyBy → tumbling event-time window sum → results.",
        discussion: """
            Needs no server: a seeded generator produces keyed events with event timestamps (out of order by \
            up to --disorder ms), Weir sums them per key in tumbling event-time windows, and the job's results \
            are checked against the same sums computed directly, without the engine.

            With --checkpoint-dir the job takes exactly-once checkpoints; after a crash (or Ctrl-C), the same \
            command with --resume continues from the latest checkpoint.

            Examples:
              weir run
              weir run --events 10000000 --parallelism 2
              weir run --keys 10 --window 500 --show 20
              weir run --events 50000000 --rate 1000000 --checkpoint-dir ./weir-data/checkpoints
              weir run --events 50000000 --rate 1000000 --checkpoint-dir ./weir-data/checkpoints --resume
            """)

    @Option(help: "Number of events to generate.")
    var events: Int64 = 2_000_000

    @Option(help: "Number of distinct keys.")
    var keys: Int = 10_000

    @Option(help: "Events per second of event time.")
    var eventsPerSecond: Int64 = 100_000

    @Option(help: "Window size in milliseconds.")
    var window: Int64 = 1_000

    @Option(help: "Maximum out-of-orderness of event timestamps, in milliseconds (the watermark trails by as much).")
    var disorder: Int64 = 50

    @Option(help: "Parallel subtasks per operator (default: the number of cores).")
    var parallelism: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 42

    @Option(help: "Number of window results to print.")
    var show: Int = 10

    @Option(help: "Generate at most this many events per second (default: as fast as possible).")
    var rate: Double?

    @Option(help: "Take checkpoints into this directory.")
    var checkpointDir: String?

    @Option(help: "Checkpoint interval in milliseconds.")
    var checkpointInterval: Int = 1_000

    @Option(help: "Checkpointing mode: exactly-once or at-least-once.")
    var checkpointMode: String = "exactly-once"

    @Flag(help: "Continue from the latest checkpoint in --checkpoint-dir.")
    var resume = false

    func validate() throws {
        guard events >= 0 else { throw ValidationError("--events must not be negative") }
        guard keys > 0 else { throw ValidationError("--keys must be at least 1") }
        guard eventsPerSecond > 0 else { throw ValidationError("--events-per-second must be at least 1") }
        guard window > 0 else { throw ValidationError("--window must be at least 1 ms") }
        guard disorder >= 0 else { throw ValidationError("--disorder must not be negative") }
        guard (1...128).contains(parallelism) else { throw ValidationError("--parallelism must be between 1 and 128") }
        guard show >= 0 else { throw ValidationError("--show must not be negative") }
        guard rate.map({ $0 > 0 }) ?? true else { throw ValidationError("--rate must be positive") }
        guard checkpointInterval > 0 else { throw ValidationError("--checkpoint-interval must be at least 1 ms") }
        guard ["exactly-once", "at-least-once"].contains(checkpointMode) else { throw ValidationError("--checkpoint-mode must be exactly-once or at-least-once") }
        if resume && checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir (where to find the checkpoints)") }
    }

    func run() throws {
        let workload = ReferenceWorkload(events: events, keys: keys, eventsPerSecond: eventsPerSecond, disorderMilliseconds: disorder, seed: seed)
        let env = StreamEnvironment(parallelism: parallelism)
        if let checkpointDir {
            var configuration = CheckpointConfiguration(directory: checkpointDir, interval: .milliseconds(checkpointInterval))
            configuration.mode = checkpointMode == "at-least-once" ? .atLeastOnce : .exactlyOnce
            env.checkpointing = configuration
            env.resume = resume ? .latest : .fresh
        }
        let sink = CollectSink<WindowSum>()
        let source = GeneratorSource(count: events, ratePerSecond: rate) { workload.event($0) }
        env.addSource(source, name: "Generator")
            .assignTimestampsAndWatermarks(workload.watermarkStrategy)
            .keyBy { $0.key }
            .window(.tumbling(size: .milliseconds(window)))
            .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
            .sink(sink, name: "Collect")
        print("Weir: \(events) events, \(keys) keys, \(window) ms tumbling windows, parallelism \(parallelism)")
        print(try env.explain().split(separator: "\n").map { "  task: \($0)" }.joined(separator: "\n"))
        let result = try env.execute("reference window sum")

        let results = sink.values.sorted { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }
        for sum in results.prefix(show) { print("  \(sum)") }
        if results.count > show { print("  … \(results.count - show) more") }
        let rate = Double(result.sourceRecords) / max(result.durationSeconds, 1e-9)
        print(String(format: "%d events → %d window results in %.2f s (%.2f M events/s), %d late events dropped",
                     result.sourceRecords, results.count, result.durationSeconds, rate / 1e6, result.lateRecordsDropped))

        if let restored = result.restoredFrom { print("resumed from checkpoint \(restored)") }
        if let last = result.checkpoints.last {
            let pause = result.checkpoints.map(\.maxTaskPauseMicroseconds).max() ?? 0
            print("checkpoints: \(result.checkpoints.count) completed, last #\(last.checkpointID) (\(last.stateSize) bytes, \(last.durationMilliseconds) ms), longest task pause \(pause) µs")
        }
        let expected = workload.expectedWindowSums(windowMilliseconds: window)
        if result.restoredFrom != nil {
            // Windows that fired before the checkpoint were printed by the earlier run.
            let got = Set(results), want = Set(expected)
            print(got.isSubset(of: want) ? "check: OK — every window sum of this run equals the one computed without the engine (\(results.count) windows)"
                                         : "check: FAILED — \(got.subtracting(want).count) window sums differ from the expectation")
            if !got.isSubset(of: want) { throw ExitCode.failure }
        } else if results == expected {
            print("check: OK — every window sum equals the one computed without the engine (\(expected.count) windows)")
        } else {
            let got = Set(results), want = Set(expected)
            print("check: FAILED — \(want.subtracting(got).count) expected results missing, \(got.subtracting(want).count) unexpected")
            throw ExitCode.failure
        }
    }
}
