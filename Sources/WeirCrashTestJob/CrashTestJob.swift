import ArgumentParser
import Foundation
import Weir

/// A job for crash tests: a test driver starts it, kills it with SIGKILL at random moments,
/// starts it again with `--resume`, and once it exits 0 compares its output with the input.
///
/// The job counts the reference workload's events per key with checkpoints and writes the
/// final counts (`key,count` lines) to `--output` atomically at the end.
@main
struct CrashTestJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir-crash-test-job",
        abstract: "A checkpointed counting job for crash tests (killed and resumed by a test driver).")

    @Option(help: "Checkpoint directory.") var checkpoints: String
    @Option(help: "Where the final counts go (written atomically at the end).") var output: String
    @Option(help: "Events to generate.") var events: Int64 = 100_000
    @Option(help: "Distinct keys.") var keys: Int = 100
    @Option(help: "Events per second (so that a run lasts long enough to be killed).") var rate: Double = 50_000
    @Option(help: "Parallelism.") var parallelism: Int = 2
    @Option(help: "Checkpoint interval in milliseconds.") var interval: Int = 100
    @Option(help: "exactly-once or at-least-once.") var mode: String = "exactly-once"
    @Flag(help: "Continue from the latest checkpoint.") var resume = false

    func run() throws {
        let workload = ReferenceWorkload(events: events, keys: keys)
        let env = StreamEnvironment(parallelism: parallelism)
        var configuration = CheckpointConfiguration(directory: checkpoints, interval: .milliseconds(interval))
        configuration.mode = mode == "at-least-once" ? .atLeastOnce : .exactlyOnce
        env.checkpointing = configuration
        env.resume = resume ? .latest : .fresh
        let sink = CollectSink<FinalCount.Count>()
        env.addSource(GeneratorSource(count: events, ratePerSecond: rate) { workload.event($0) }, name: "Generator")
            .keyBy { $0.key }
            .process(name: "Count") { FinalCount() }
            .sink(sink, name: "Collect")
        let result = try env.execute("crash-test")
        let lines = sink.values.sorted { $0.key < $1.key }.map { "\($0.key),\($0.count)" }.joined(separator: "\n")
        try DurableFile.write(Array((lines + "\n").utf8), to: output)
        FileHandle.standardError.write(Data("crash-test-job: done, restored from \(result.restoredFrom.map(String.init) ?? "nothing"), \(result.checkpoints.count) checkpoints\n".utf8))
    }
}
