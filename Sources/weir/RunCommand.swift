import ArgumentParser
import Foundation
import Logging
import Weir
import WeirReferenceJobs

/// `weir run`: the reference pipeline, exactly-once into files.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the reference job: generator → keyBy → tumbling event-time window sum → exactly-once files.",
        discussion: """
            Needs no server: a seeded generator produces keyed events with event timestamps (out of order by \
            up to --disorder ms); Weir sums them per key in tumbling event-time windows and writes the sums as \
            CSV (key,windowStart,windowEnd,sum,count) through the exactly-once file sink into <data-dir>/output, \
            with checkpoints in <data-dir>/checkpoints. Files become visible when their checkpoint completes.

            After a crash (kill -9, power loss), the same command with --resume continues from the latest \
            checkpoint; `weir verify` then checks that every window sum is in the output exactly once.

            Examples:
              weir run
              weir run --events 50000000 --rate 2000000 --parallelism 2
              weir run --resume
              weir run --fresh --keys 10 --window 500
            """)

    @OptionGroup var data: DataDirectoryOption

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

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 42

    @Option(help: "Parallel subtasks per operator (default: the number of cores).")
    var parallelism: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Generate at most this many events per second (default: as fast as possible).")
    var rate: Double?

    @Option(help: "Checkpoint interval in milliseconds.")
    var checkpointInterval: Int = 1_000

    @Option(help: "Where checkpoints go: a directory, or s3://bucket/prefix on an S3-compatible server (weir built with --traits S3; see --s3-endpoint). Default: <data-dir>/checkpoints. Kept in run.json for --resume.")
    var checkpointDir: String?

    @OptionGroup var s3: S3Options

    @Option(help: "Checkpointing mode: exactly-once or at-least-once (the file sink follows it).")
    var checkpointMode: String = "exactly-once"

    @Option(help: "Where the window state lives: heap (in memory) or rocksdb (on local disk, for state larger than memory; weir built with --traits RocksDB). Pass the same one to --resume, unless the checkpoints are full ones (--rocksdb-checkpoints full), which either backend restores.")
    var stateBackend: String = "heap"

    @Option(help: "With --state-backend rocksdb: incremental (default: each checkpoint uploads only the RocksDB files the previous ones did not; restores on rocksdb only) or full (all state at every checkpoint, in the format the heap backend reads too).")
    var rocksdbCheckpoints: String?

    @Option(help: "With --state-backend rocksdb: the directory of the local RocksDB instances (default: weir-rocksdb in the temporary directory).")
    var rocksdbDir: String?

    @Flag(help: "Continue the run in --data-dir from its latest checkpoint (its run.json decides the job).")
    var resume = false

    @Flag(help: "Delete what --data-dir holds and start over.")
    var fresh = false

    @Option(help: "Number of committed window sums to print at the end.")
    var show: Int = 5

    @Option(help: "Where the events come from: generator, files (then --input) or kafka (then --input-topic; CSV lines key,timestamp,value, read read_committed).")
    var source: String = "generator"

    @Option(help: "Where the window sums go: files (<data-dir>/output), kafka (--output-topic, in transactions committed with the checkpoints), postgres (--postgres-url; PREPARE TRANSACTION at each checkpoint) or s3 (--output s3://bucket/prefix; a multipart upload per checkpoint, completed when it completes).")
    var sink: String = "files"

    @Option(help: "With --sink s3: where the objects go, s3://bucket/prefix (see --s3-endpoint).")
    var output: String?

    @Option(help: "With --sink postgres: the server, postgres://user@host:port/database (max_prepared_transactions > 0).")
    var postgresURL: String?

    @Option(help: "With --sink postgres: the table (created if missing).")
    var postgresTable: String = "window_sums"

    @Option(help: "With --sink postgres: append (a row per window sum) or upsert (by key and window start; replays replace rows).")
    var postgresMode: String = "append"

    @Option(help: "With --source kafka or --sink kafka: a broker, host:port.")
    var kafkaBootstrap: String = "127.0.0.1:9092"

    @Option(help: "With --source kafka: the topic read (weir produce fills one).")
    var inputTopic: String = "weir-events"

    @Option(help: "With --sink kafka: the topic written (created with a partition per subtask if missing).")
    var outputTopic: String = "weir-window-sums"

    @Flag(help: "With --source kafka: keep reading new records (the job runs until stopped) instead of stopping at the input's end at start.")
    var follow = false

    @Option(help: "With --source files: a directory of CSV lines key,timestamp,value (timestamp in ms).")
    var input: String?

    @Option(help: "With --source files: what a malformed line does: skip (counted and reported) or fail.")
    var badLines: String = "fail"

    @Option(help: "Restarts in a row (after a task failure: a lost broker connection, a database restart) before the run gives up; 0: none. Each restart continues from the latest checkpoint.")
    var restartAttempts: Int = 20

    @Option(help: "Delay before the first restart, in milliseconds.")
    var restartDelay: Int = 1_000

    @Option(help: "The restart delay grows by this factor each time…")
    var restartMultiplier: Double = 1.5

    @Option(help: "…up to this many milliseconds.")
    var restartMaxDelay: Int = 60_000

    @Option(help: "Each restart delay varies at random by up to this fraction either way.")
    var restartJitter: Double = 0.1

    @Option(help: "After this many milliseconds without a failure, restarts count from 1 again.")
    var restartResetAfter: Int = 3_600_000

    @Flag(help: "If the latest checkpoint is damaged, restore an older one even though sinks that do not replace replayed results (Kafka, PostgreSQL appends) may then hold some results twice. Without it such a restore stops with an error.")
    var acceptDuplicates = false

    @Option(help: .hidden) var crashAt: String?
    @Option(help: .hidden) var crashCheckpoint: Int64 = 2

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "What Ctrl-C (or SIGTERM) does: stop (at once; the latest checkpoint stays) or checkpoint (a final checkpoint commits everything up to there, then stop). Either way --resume continues.")
    var onInterrupt: String = "stop"

    @Option(help: "Serve Prometheus metrics (/metrics) and a JSON status (/status) on this port (0: any free port).")
    var metricsPort: Int?

    @Option(help: "Address of the metrics endpoint.")
    var metricsHost: String = "127.0.0.1"

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
        guard ["heap", "rocksdb"].contains(stateBackend) else { throw ValidationError("--state-backend must be heap or rocksdb") }
        if stateBackend == "rocksdb" && !RocksDBSupport.isBuiltIn { throw RocksDBSupport.missing }
        if rocksdbDir != nil && stateBackend != "rocksdb" { throw ValidationError("--rocksdb-dir is for --state-backend rocksdb") }
        if let rocksdbCheckpoints {
            guard stateBackend == "rocksdb" else { throw ValidationError("--rocksdb-checkpoints is for --state-backend rocksdb") }
            guard ["incremental", "full"].contains(rocksdbCheckpoints) else { throw ValidationError("--rocksdb-checkpoints must be incremental or full") }
        }
        guard !(resume && fresh) else { throw ValidationError("--resume continues a run and --fresh deletes it: choose one") }
        guard ["generator", "files", "kafka"].contains(source) else { throw ValidationError("--source must be generator, files or kafka") }
        guard ["files", "kafka", "postgres", "s3"].contains(sink) else { throw ValidationError("--sink must be files, kafka, postgres or s3") }
        if sink == "s3" {
            guard StorageLocation.s3IsBuiltIn else { throw StorageLocation.s3Missing }
            if let output, output.hasPrefix("s3://") {
                _ = try StorageLocation.parseS3(output)
            } else if !resume {
                throw ValidationError("--sink s3 needs --output s3://bucket/prefix")
            }
        }
        if sink == "postgres" {
            guard PostgresSupport.isBuiltIn else { throw PostgresSupport.missing }
            guard postgresURL != nil || resume else { throw ValidationError("--sink postgres needs --postgres-url postgres://user@host:port/database") }
            guard ["append", "upsert"].contains(postgresMode) else { throw ValidationError("--postgres-mode must be append or upsert") }
            guard postgresTable.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !postgresTable.isEmpty else {
                throw ValidationError("--postgres-table must be a plain table name (letters, digits, _)")
            }
        }
        if source == "kafka" || sink == "kafka" {
            guard KafkaSupport.isBuiltIn else { throw KafkaSupport.missing }
            guard let colon = kafkaBootstrap.lastIndex(of: ":"), let port = Int(kafkaBootstrap[kafkaBootstrap.index(after: colon)...]), (1...65535).contains(port) else {
                throw ValidationError("--kafka-bootstrap \(kafkaBootstrap) is not host:port")
            }
        }
        if let checkpointDir, checkpointDir.hasPrefix("s3://") {
            guard StorageLocation.s3IsBuiltIn else { throw StorageLocation.s3Missing }
            _ = try StorageLocation.parseS3(checkpointDir)
        }
        if source == "files" && input == nil { throw ValidationError("--source files needs --input DIR (CSV lines key,timestamp,value)") }
        guard ["skip", "fail"].contains(badLines) else { throw ValidationError("--bad-lines must be skip or fail") }
        guard ["stop", "checkpoint"].contains(onInterrupt) else { throw ValidationError("--on-interrupt must be stop or checkpoint") }
        guard restartAttempts >= 0, restartDelay >= 0, restartMaxDelay >= restartDelay, restartMultiplier >= 1, (0...1).contains(restartJitter), restartResetAfter > 0 else {
            throw ValidationError("restart settings: --restart-attempts ≥ 0, --restart-delay ≥ 0, --restart-max-delay ≥ --restart-delay, --restart-multiplier ≥ 1, --restart-jitter in 0…1, --restart-reset-after > 0")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
    }

    func run() throws {
        var logger = Logger(label: "weir")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let parameters = try prepareDataDirectory()
        let workload = parameters.workload
        let env = StreamEnvironment(parallelism: parallelism)
        env.stateBackend = try RocksDBSupport.backend(stateBackend, directory: rocksdbDir, incremental: rocksdbCheckpoints != "full")
        let log = logger
        env.warningHandler = { log.warning("\($0)") }
        let checkpoints = try checkpointLocation(parameters)
        var configuration = CheckpointConfiguration(storage: try checkpoints.checkpointStorage(), interval: .milliseconds(checkpointInterval))
        configuration.mode = checkpointMode == "at-least-once" ? .atLeastOnce : .exactlyOnce
        if acceptDuplicates { configuration.unusableLatestCheckpoint = .restoreOlderAcceptingDuplicates }
        env.checkpointing = configuration
        var restart = ExponentialDelayRestart()
        restart.attempts = restartAttempts
        restart.initial = .milliseconds(restartDelay)
        restart.maximum = .milliseconds(restartMaxDelay)
        restart.multiplier = restartMultiplier
        restart.jitter = restartJitter
        restart.resetAfter = .milliseconds(restartResetAfter)
        env.restartStrategy = restartAttempts == 0 ? .none : .exponentialDelay(restart)
        env.resume = resume ? .latest : .fresh
        let fromGenerator = parameters.input == nil && parameters.kafka?.inputTopic == nil
        let progress = ProgressPrinter(total: fromGenerator ? parameters.events : nil)
        var endpoint: MetricsEndpoint?
        if let metricsPort {
            do { endpoint = try MetricsEndpoint(host: metricsHost, port: metricsPort) } catch {
                throw ValidationError("cannot serve metrics on \(metricsHost):\(metricsPort): \(error)")
            }
            print("metrics: http://\(metricsHost):\(endpoint!.port)/metrics, status: http://\(metricsHost):\(endpoint!.port)/status")
        }
        defer { endpoint?.stop() }
        let metrics = endpoint
        env.progressInterval = .milliseconds(500)
        env.progressHandler = { report in
            progress.report(report)
            metrics?.update(report)
        }
        let badLineCount = Counter()
        let skipBadLines = (parameters.badLines ?? badLines) == "skip"
        let eventStream: DataStream<ReferenceEvent>
        if let kafka = parameters.kafka, let topic = kafka.inputTopic {
            eventStream = try KafkaSupport.events(env, kafka: kafka, topic: topic, disorder: parameters.disorderMilliseconds,
                                                  skipBadLines: skipBadLines, badLines: badLineCount)
        } else if let input = parameters.input {
            // Event time and watermarks per file in the source: a restore that deals the files
            // to other subtasks makes no record late.
            var files = try LineFileSource(directory: input)
            files.watermarks = WatermarkStrategy<String>.boundedOutOfOrderness(.milliseconds(parameters.disorderMilliseconds))
                .withTimestampAssigner { ReferenceEvent.timestamp(ofLine: $0) ?? Int64.min }
            eventStream = env.addSource(files, name: "Files")
                .flatMap(name: "Parse") { (line: String) throws -> [ReferenceEvent] in
                    try Self.parse(line, skipBadLines: skipBadLines, badLines: badLineCount).map(\.value)
                }
        } else {
            eventStream = env.addSource(GeneratorSource(count: workload.events, ratePerSecond: rate) { workload.event($0) }, name: "Generator")
                .assignTimestampsAndWatermarks(workload.watermarkStrategy)
        }
        let sums = eventStream
            .keyBy { $0.key }
            .window(.tumbling(size: .milliseconds(parameters.windowMilliseconds)))
            .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
        if let s3Output = parameters.s3Output {
            try S3Support.write(sums, output: s3Output, options: sinkOptions())
        } else if let postgres = parameters.postgres {
            try PostgresSupport.write(sums, output: postgres, options: sinkOptions())
        } else if let kafka = parameters.kafka, let topic = kafka.outputTopic {
            try KafkaSupport.write(sums, kafka: kafka, topic: topic, exactlyOnce: configuration.mode == .exactlyOnce, partitions: parallelism, options: sinkOptions())
        } else {
            var sink = FileSink<WindowSum>(directory: data.output, encoder: .csv { $0.csvFields }, guarantee: configuration.mode == .exactlyOnce ? .exactlyOnce : .atLeastOnce)
            sink.prefix = "window-sums"
            sink.suffix = ".csv"
            sums.sink(sink, name: "Files", options: sinkOptions())
        }
        let input = parameters.kafka?.inputTopic.map { "events from Kafka topic \($0) at \(parameters.kafka!.bootstrap)" + (parameters.kafka!.follow ? " (following it)" : "") }
            ?? parameters.input.map { "events from the files in \($0)" } ?? "\(parameters.events) events, \(parameters.keys) keys"
        let output: String
        if let s3Output = parameters.s3Output {
            output = "window sums to \(s3Output.location)"
        } else if let postgres = parameters.postgres {
            output = "window sums to PostgreSQL table \(postgres.table) (\(postgres.mode))"
        } else if let topic = parameters.kafka?.outputTopic {
            output = "window sums to Kafka topic \(topic)"
        } else {
            output = "window sums to \(data.output)"
        }
        print("weir: \(input), \(parameters.windowMilliseconds) ms windows, parallelism \(parallelism), \(output), checkpoints in \(checkpoints.location)"
              + (stateBackend == "rocksdb" ? ", state in RocksDB (\(rocksdbCheckpoints ?? "incremental") checkpoints)" : ""))
        for task in try env.explain().split(separator: "\n") { print("  task: \(task)") }
        // Ctrl-C (or SIGTERM): a clean stop; the completed checkpoints stay for --resume.
        let cancellation = env.cancellation
        let interrupts = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let finalCheckpoint = onInterrupt == "checkpoint"
            source.setEventHandler { finalCheckpoint ? cancellation.stop() : cancellation.cancel() }
            source.resume()
            return source
        }
        defer { for source in interrupts { source.cancel() } }
        let result: JobExecutionResult
        do {
            result = try env.execute("weir-reference")
        } catch JobError.cancelled {
            endpoint?.finished("cancelled")
            progress.finish()
            print("stopped; the latest completed checkpoint is kept: continue with weir run --resume\(data.path == "./weir-data" ? "" : " --data-dir \(data.path)")")
            throw ExitCode(130)
        }
        progress.finish()
        endpoint?.finished("finished")

        if let restored = result.restoredFrom { print("resumed from checkpoint \(restored)") }
        if result.stopped {
            print("stopped after a final checkpoint (#\(result.checkpoints.last?.checkpointID ?? 0)): everything up to it is committed; continue with weir run --resume\(data.path == "./weir-data" ? "" : " --data-dir \(data.path)")")
        }
        let rate = Double(result.sourceRecords) / max(result.durationSeconds, 1e-9)
        print(String(format: "%d events in %.2f s (%.2f M events/s), %d late events dropped, %d checkpoints",
                     result.sourceRecords, result.durationSeconds, rate / 1e6, result.lateRecordsDropped, result.checkpoints.count))
        if badLineCount.value > 0 { logger.warning("\(badLineCount.value) malformed input lines were skipped (--bad-lines skip)") }
        if result.restarts > 0 { logger.warning("the run restarted \(result.restarts) times from its latest checkpoint after task failures (see the warnings above)") }
        // The job configures no lateness, so every late event is a drop nobody asked for. After a
        // restore or restart the library has reported them per operator already (warningHandler).
        if result.restoredFrom == nil && result.restarts == 0 {
            for op in result.operators where op.lateRecordsDropped.value > 0 {
                logger.warning("operator '\(op.operatorName)' dropped \(op.lateRecordsDropped.value) late events: their window sums are incomplete; the input is out of order by more than --disorder")
            }
        }
        let committed = try CommittedOutput.read(parameters, data: data)
        for row in committed.rows.sorted(by: { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }).prefix(show) { print("  \(row)") }
        print("\(committed.rows.count) window sums committed in \(committed.place); check them with: weir verify\(data.path == "./weir-data" ? "" : " --data-dir \(data.path)")")
    }

    /// The sink's options; with the hidden `--crash-at STEP` (conformance tests), the process
    /// kills itself with SIGKILL at that two-phase-commit step of checkpoint `--crash-checkpoint`
    /// or a later one.
    private func sinkOptions() -> TwoPhaseCommitOptions {
        var options = TwoPhaseCommitOptions()
        guard let crashAt else { return options }
        let threshold = crashCheckpoint
        options.stepObserver = { step in
            if step.name == crashAt && step.checkpointID >= threshold { kill(getpid(), SIGKILL) }
        }
        return options
    }

    /// Where this run's checkpoints are: run.json's place on a resume (an earlier run.json
    /// without one: `--checkpoint-dir` or the data directory's), else the options'.
    private func checkpointLocation(_ parameters: RunParameters) throws -> StorageLocation {
        guard let kept = parameters.checkpoints else { return s3.location(checkpointDir ?? data.checkpoints) }
        if let checkpointDir, checkpointDir != kept.location {
            throw ValidationError("this run's checkpoints are in \(kept.location) (run.json), not \(checkpointDir): resume without --checkpoint-dir")
        }
        return kept
    }

    /// Checks and sets up the data directory; returns the parameters of the run.
    private func prepareDataDirectory() throws -> RunParameters {
        let fileManager = FileManager.default
        if resume {
            return try RunParameters.load(from: data.path)
        }
        let existing = (try? fileManager.contentsOfDirectory(atPath: data.path)) ?? []
        if !existing.isEmpty {
            guard fresh else {
                throw ValidationError("'\(data.path)' holds an earlier run; continue it with --resume, or delete it and start over with --fresh")
            }
            try fileManager.removeItem(atPath: data.path)
        }
        do { try fileManager.createDirectory(atPath: data.path, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create '\(data.path)': \(error.localizedDescription)")
        }
        var parameters = RunParameters(events: events, keys: keys, eventsPerSecond: eventsPerSecond, windowMilliseconds: window,
                                       disorderMilliseconds: disorder, seed: seed)
        if source == "files" {
            parameters.input = input
            parameters.badLines = badLines
        }
        if sink == "s3", let output {
            parameters.s3Output = s3.location(output)
        }
        if sink == "postgres", let postgresURL {
            parameters.postgres = PostgresOutput(url: postgresURL, table: postgresTable, mode: postgresMode)
        }
        if source == "kafka" || sink == "kafka" {
            parameters.kafka = KafkaEndpoints(bootstrap: kafkaBootstrap, inputTopic: source == "kafka" ? inputTopic : nil,
                                              outputTopic: sink == "kafka" ? outputTopic : nil, follow: follow)
        }
        parameters.checkpoints = s3.location(checkpointDir ?? data.checkpoints)
        try parameters.save(in: data.path)
        return parameters
    }
}

extension RunCommand {
    /// `key,timestamp,value` → an event with its event time; `nil` if the line is malformed.
    static func parse(_ line: String) -> StreamRecord<ReferenceEvent>? { ReferenceEvent.parse(line: line) }

    /// A line of input as zero or one event: a malformed line fails the job, or is skipped and
    /// counted with `skipBadLines`.
    static func parse(_ line: String, skipBadLines: Bool, badLines: Counter) throws -> [StreamRecord<ReferenceEvent>] {
        if let record = parse(line) { return [record] }
        guard skipBadLines else { throw InputError.malformedLine(line) }
        badLines.add()
        return []
    }
}

/// Errors of the job's input.
enum InputError: PermanentFailure, CustomStringConvertible {
    case malformedLine(String)

    var description: String {
        switch self {
        case .malformedLine(let line):
            return "malformed input line (expected key,timestamp,value): \"\(line.prefix(200))\"; skip such lines with --bad-lines skip"
        }
    }
}

/// One live progress line on a terminal; plain lines otherwise.
final class ProgressPrinter: @unchecked Sendable {
    /// Events the run will read, if known (the generator's count; not files or Kafka).
    private let total: Int64?
    private let terminal = isatty(STDOUT_FILENO) != 0
    private let lock = NSLock()
    private var lastRecords = 0
    private var lastElapsed = 0.0
    private var printedLine = false

    init(total: Int64?) { self.total = total }

    func report(_ progress: JobProgress) {
        lock.lock()
        defer { lock.unlock() }
        let rate = Double(progress.sourceRecords - lastRecords) / max(progress.elapsedSeconds - lastElapsed, 1e-3)
        lastRecords = progress.sourceRecords
        lastElapsed = progress.elapsedSeconds
        var line = String(format: "%.0f s: %d", progress.elapsedSeconds, progress.sourceRecords)
            + (total.map { " of \($0)" } ?? "") + String(format: " events (%.2f M/s)", rate / 1e6)
        // The job's event-time progress: the least advanced operator that has a watermark.
        let watermarks = progress.operators.map(\.currentWatermark).filter { $0 != Int64.min }
        if let watermark = watermarks.min() { line += watermark == Int64.max ? ", watermark: end" : ", watermark \(watermark) ms" }
        if let last = progress.checkpoints.last {
            line += String(format: ", checkpoint #%lld (%lld ms, %.1f MB)", last.checkpointID, last.durationMilliseconds, Double(last.stateSize) / 1e6)
        }
        if progress.restarts > 0 { line += ", \(progress.restarts) restarts" }
        let committed = progress.operators.reduce(0) { $0 + $1.transactionsCommitted.value }
        if committed > 0 { line += ", \(committed) transactions committed" }
        if terminal {
            try? FileHandle.standardOutput.write(contentsOf: Data(("\r\u{1B}[K" + line).utf8))
            printedLine = true
        } else {
            print(line)
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if printedLine { try? FileHandle.standardOutput.write(contentsOf: Data("\n".utf8)) }
    }
}
