import ArgumentParser
import Foundation
import NIOCore
import Weir
import WeirKafka
import WeirPostgres
import WeirReferenceJobs

/// A job for crash tests: a test driver starts it, kills it with SIGKILL at random moments (or
/// it kills itself at a chosen protocol step), starts it again with `--resume`, and once it
/// exits 0 compares its output with its input.
///
/// `--sink counts` (default): counts the reference workload's events per key and writes the
/// final counts (`key,count` lines) to `--output` at the end. `--sink files`: writes every
/// event's index, one per line, through the file sink (exactly-once or at-least-once) into
/// `--output` as a directory; the driver reads the committed files. `--sink postgres`: writes
/// every event's index and key as a row (`id`, `key`) into `--table` of `--postgres-url`
/// through the exactly-once PostgreSQL sink; the driver queries the table. `--sink kafka`: reads
/// `--input-topic` (prefilled by the driver; bounded at its end when the run starts) and writes
/// every record's value to `--output-topic` through the Kafka sink (`--mode` exactly-once or
/// at-least-once), at about `--rate` records per second; the driver reads the output topic.
@main
struct CrashTestJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir-crash-test-job",
        abstract: "A checkpointed job for crash tests (killed and resumed by a test driver).")

    @Option(help: "Checkpoint directory.") var checkpoints: String
    @Option(help: "Where the output goes: a file (counts) or a directory (files).") var output: String = ""
    @Option(help: "counts, files, postgres or kafka.") var sink: String = "counts"
    @Option(help: "Kafka: bootstrap broker, host:port.") var kafkaBootstrap: String?
    @Option(help: "Kafka: the topic read.") var inputTopic = "crash-in"
    @Option(help: "Kafka: the topic written.") var outputTopic = "crash-out"
    @Option(help: "PostgreSQL sink: the server, postgres://user@host:port/database.") var postgresURL: String?
    @Option(help: "PostgreSQL sink: the table (columns id bigint, key bigint).") var table = "crash_test"
    @Option(help: "Events to generate.") var events: Int64 = 100_000
    @Option(help: "Distinct keys.") var keys: Int = 100
    @Option(help: "Events per second (so that a run lasts long enough to be killed).") var rate: Double = 50_000
    @Option(help: "Parallelism.") var parallelism: Int = 2
    @Option(help: "Checkpoint interval in milliseconds.") var interval: Int = 100
    @Option(help: "exactly-once or at-least-once (checkpoints, and the file sink).") var mode: String = "exactly-once"
    @Option(help: "Kill this process with SIGKILL at this step of the sink's protocol: before-precommit, after-precommit, before-commit, mid-commit, before-recovery.")
    var crashAt: String?
    @Option(help: "…at the first such step of this checkpoint or a later one.") var crashCheckpoint: Int64 = 2
    @Option(help: "File sink: roll parts at this size in bytes.") var rollingSize: Int = 64 << 10
    @Flag(help: "Continue from the latest checkpoint.") var resume = false

    func run() throws {
        let env = StreamEnvironment(parallelism: parallelism)
        var configuration = CheckpointConfiguration(directory: checkpoints, interval: .milliseconds(interval))
        configuration.mode = mode == "at-least-once" ? .atLeastOnce : .exactlyOnce
        env.checkpointing = configuration
        env.resume = resume ? .latest : .fresh
        let result: JobExecutionResult
        if sink != "postgres" && sink != "kafka" && output.isEmpty { throw ValidationError("--sink \(sink) needs --output") }
        switch sink {
        case "files":
            var fileSink = FileSink<Int64>(directory: output, encoder: .description, guarantee: mode == "at-least-once" ? .atLeastOnce : .exactlyOnce)
            fileSink.prefix = "crash-test"
            fileSink.rollingSizeBytes = rollingSize
            let keys = Int64(self.keys)
            env.addSource(GeneratorSource(count: events, ratePerSecond: rate) { StreamRecord($0) }, name: "Generator")
                .keyBy { $0 % keys }
                .map(name: "Identity") { $0 }
                .sink(fileSink, name: "Files", options: crashOptions())
            result = try env.execute("crash-test-files")
        case "postgres":
            guard let postgresURL else { throw ValidationError("--sink postgres needs --postgres-url") }
            let keys = Int64(self.keys)
            let postgresSink = PostgresSink<Int64>(endpoint: try PostgresEndpoint(url: postgresURL), table: table, columns: ["id", "key"]) { id in
                [.int(id), .int(id % keys)]
            }
            env.addSource(GeneratorSource(count: events, ratePerSecond: rate) { StreamRecord($0) }, name: "Generator")
                .keyBy { $0 % keys }
                .map(name: "Identity") { $0 }
                .sink(postgresSink, name: "Postgres", options: crashOptions())
            result = try env.execute("crash-test-postgres")
        case "kafka":
            guard let kafkaBootstrap else { throw ValidationError("--sink kafka needs --kafka-bootstrap") }
            let broker = try BrokerAddress(kafkaBootstrap)
            var source = KafkaSource(bootstrap: [broker], topics: [inputTopic], deserializer: KafkaUTF8Deserializer())
            source.boundedness = .latestAtStart
            var kafkaSink = KafkaSink(bootstrap: [broker], topic: outputTopic,
                                      serializer: KafkaClosureSerializer { KafkaProducerRecord(key: ByteBuffer(string: $0), value: ByteBuffer(string: $0)) },
                                      guarantee: mode == "at-least-once" ? .atLeastOnce : .exactlyOnce)
            kafkaSink.batchSize = 100
            // Each subtask's share of the rate, so that a run lasts long enough to be killed.
            let pause = UInt32(max(1, 100 * Double(parallelism) / rate * 1_000_000))
            env.addSource(source, name: "KafkaIn")
                .map(name: "Throttle") { (value: String) -> String in
                    if value.hasSuffix("00") { usleep(pause) }
                    return value
                }
                .sink(kafkaSink, name: "KafkaOut", options: crashOptions())
            result = try env.execute("crash-test-kafka")
        default:
            let workload = ReferenceWorkload(events: events, keys: keys)
            let counts = CollectSink<FinalCount.Count>()
            env.addSource(GeneratorSource(count: events, ratePerSecond: rate) { workload.event($0) }, name: "Generator")
                .keyBy { $0.key }
                .process(name: "Count") { FinalCount() }
                .sink(counts, name: "Collect")
            result = try env.execute("crash-test")
            let lines = counts.values.sorted { $0.key < $1.key }.map { "\($0.key),\($0.count)" }.joined(separator: "\n")
            try DurableFile.write(Array((lines + "\n").utf8), to: output)
        }
        FileHandle.standardError.write(Data("crash-test-job: done, restored from \(result.restoredFrom.map(String.init) ?? "nothing"), \(result.checkpoints.count) checkpoints\n".utf8))
    }

    /// Kills this process at the chosen protocol step of the two-phase-commit sink.
    private func crashOptions() -> TwoPhaseCommitOptions {
        var options = TwoPhaseCommitOptions()
        guard let crashAt else { return options }
        let threshold = crashCheckpoint
        options.stepObserver = { step in
            if step.name == crashAt && step.checkpointID >= threshold { kill(getpid(), SIGKILL) }
        }
        return options
    }
}
