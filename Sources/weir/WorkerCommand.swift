import ArgumentParser
import Foundation
import Synchronization
@_spi(ClusterRunner) import Weir
import WeirReferenceJobs
#if Kafka
import NIOCore
import WeirKafka
#endif

/// `weir worker`: one of N identical processes that run the reference job together, as the
/// members of a Kafka consumer group (see docs/CLUSTER.md).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the reference job (Kafka → keyBy → window sum → Kafka, exactly-once) as one of several workers coordinated by a Kafka consumer group.",
        discussion: """
            Start the same command on each machine (or several times on one). The workers join the \
            consumer group --group; the group's leader deals the job's tasks to them (balanced, and \
            sticky across rebalances). The job has two stages joined by a repartition topic, \
            <group>-repartition (created with --repartition-partitions partitions): a read task per \
            partition of --input-topic parses the events and writes each to the partition of its key's \
            key group, in Kafka transactions committed with its checkpoints, with its watermark; a \
            window task per partition of the repartition topic reads it read_committed, sums the \
            windows and writes them to --output-topic in transactions of its own. Each task \
            checkpoints into <--checkpoint-dir>/tasks/<topic>-<partition> (a directory all workers \
            share, or s3://bucket/prefix with --traits S3). When a worker dies, its tasks move after \
            --session-timeout and restore from their latest checkpoints; when one joins, the tasks \
            are dealt again.

            With --co-partitioned the input must already be partitioned by key (weir produce \
            --partition-by key): one task per input partition reads, sums and writes, with no hop; a \
            record in another partition than its key's fails the task with an error that says so.

            Example (three workers on one machine; weir group shows them):
              weir produce --topic clicks --partitions 6 --events 1000000
              for i in 1 2 3; do weir worker --input-topic clicks --output-topic sums \\
                  --checkpoint-dir /tmp/weir-workers & done
            Ctrl-C (SIGINT/SIGTERM) stops a worker's tasks and leaves the group at once.
            """)

    @Option(help: "A broker, host:port.") var kafkaBootstrap: String = "127.0.0.1:9092"
    @Option(help: "The consumer group the workers form (one per job).") var group: String = "weir-reference"
    @Option(help: "The topic read; one read task per partition.") var inputTopic: String = "weir-events"
    @Option(help: "The topic the window sums are written to (created with as many partitions as the window tasks).") var outputTopic: String = "weir-window-sums"
    @Option(help: "Partitions of the repartition topic <group>-repartition, one window task each (default: as many as the input; at most 128, the key groups).") var repartitionPartitions: Int?
    @Flag(help: "The input is partitioned by key: one task per input partition, no repartition hop.") var coPartitioned = false
    @Option(help: "Where the tasks' checkpoints live: a directory shared by the workers, or s3://bucket/prefix.") var checkpointDir: String
    @OptionGroup var s3: S3Options
    @Option(help: "Milliseconds between checkpoints.") var checkpointInterval: Int = 1_000
    @Option(help: "Tumbling window size in milliseconds.") var window: Int64 = 1_000
    @Option(help: "Maximum out-of-orderness of event timestamps, in milliseconds (the watermark trails by this).") var disorder: Int64 = 50
    @Option(help: "Milliseconds without a heartbeat after which the group gives a worker's tasks to the others.") var sessionTimeout: Int = 10_000
    @Option(help: "Static membership: a worker restarted with the same id within the session timeout gets its tasks back without a rebalance.") var instanceID: String?
    @Option(help: "Read at most this many events per second per task (to watch a rebalance happen; default: as fast as possible).") var rate: Double?
    @Option(help: "Log each task's progress (records read, watermark, late records, latest checkpoint) every this many seconds.") var progress: Int?
    @Flag(help: "Keep reading new records (tasks run until the worker stops) instead of ending each task at its partition's end at start.") var follow = false
    @Option(help: "Serve Prometheus metrics (/metrics, every series labelled by task) and a JSON status (/status: generation, tasks) on this port (0: any free port).") var metricsPort: Int?
    @Option(help: "Address of the metrics endpoint.") var metricsHost: String = "127.0.0.1"

    func validate() throws {
        guard checkpointInterval > 0, window > 0, disorder >= 0, sessionTimeout >= 1_000 else {
            throw ValidationError("--checkpoint-interval and --window must be positive, --disorder not negative, --session-timeout at least 1000 ms")
        }
        guard rate.map({ $0 > 0 }) ?? true, progress.map({ $0 > 0 }) ?? true else { throw ValidationError("--rate and --progress must be positive") }
        if let repartitionPartitions {
            guard !coPartitioned else { throw ValidationError("--repartition-partitions and --co-partitioned exclude each other: a co-partitioned job has no repartition topic") }
            guard (1...Self.maxParallelism).contains(repartitionPartitions) else {
                throw ValidationError("--repartition-partitions must be 1...\(Self.maxParallelism) (a partition holds a range of the job's \(Self.maxParallelism) key groups)")
            }
        }
        if checkpointDir.hasPrefix("s3://"), !StorageLocation.s3IsBuiltIn { throw StorageLocation.s3Missing }
    }

    func run() throws {
        #if Kafka
        guard let broker = try? BrokerAddress(kafkaBootstrap) else { throw ValidationError("--kafka-bootstrap \(kafkaBootstrap) is not host:port") }
        let storage = s3.location(checkpointDir)
        let (inputTopic, outputTopic, coPartitioned, requestedRepartitions) = (self.inputTopic, self.outputTopic, coPartitioned, repartitionPartitions)
        let repartitionName = Self.repartitionTopic(of: group)
        let partitions = try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [broker])
            defer { Task { await client.close() } }
            let metadata = try await client.refreshMetadata(topics: [inputTopic])
            guard let topic = metadata.topics.first(where: { $0.name == inputTopic }), topic.errorCode == .none else {
                throw ValidationError("the input topic \(inputTopic) does not exist at \(broker) (weir produce fills one)")
            }
            let inputs = topic.partitions.count
            let windowTasks = coPartitioned ? inputs : (requestedRepartitions ?? min(inputs, Self.maxParallelism))
            try await client.createTopic(outputTopic, partitions: Int32(windowTasks))
            return (inputs: inputs, windowTasks: windowTasks)
        }
        // The job is built once, as for `weir run`; the cluster splits it into tasks.
        let repartition = coPartitioned ? nil : try RepartitionTopic(name: repartitionName, partitions: Int32(partitions.windowTasks),
                                                                     maxParallelism: Self.maxParallelism, writers: partitions.inputs)
        let settings = JobSettings(broker: broker, group: group, inputTopic: inputTopic, inputPartitions: Int32(partitions.inputs), outputTopic: outputTopic,
                                   interval: checkpointInterval, window: window, disorder: disorder, follow: follow, rate: rate)
        let env = try Self.job(settings, repartition: repartition, checkpoints: StorageLocation(location: storage.location, s3Endpoint: storage.s3Endpoint, s3Region: storage.s3Region).checkpointStorage())
        var cluster = KafkaGroupCluster(bootstrap: [broker], group: group)
        cluster.sessionTimeout = .milliseconds(sessionTimeout)
        cluster.instanceID = instanceID

        var endpoint: MetricsEndpoint?
        if let metricsPort {
            do { endpoint = try MetricsEndpoint(host: metricsHost, port: metricsPort) } catch {
                throw ValidationError("cannot serve metrics on \(metricsHost):\(metricsPort): \(error)")
            }
            // On standard error, as the worker's log: unbuffered, so that a supervisor reading it learns the port at once.
            FileHandle.standardError.write(Data("weir worker: metrics: http://\(metricsHost):\(endpoint!.port)/metrics, status: http://\(metricsHost):\(endpoint!.port)/status\n".utf8))
        }
        defer { endpoint?.stop() }
        let metrics = endpoint
        if progress != nil || metrics != nil {
            env.progressInterval = .seconds(metrics == nil ? progress ?? 1 : 1)
            let logging = progress.map { TaskProgressLog(seconds: $0) }
            cluster.taskProgress = { task, report in
                metrics?.update(report, task: task.name)
                logging?.report(report, task: task)
            }
        }
        let started = StartedWorker()
        cluster.onStart = { worker in started.worker.withLock { $0 = worker } }
        env.cluster = cluster

        if let repartition {
            print("weir worker: group \(group) at \(broker), \(partitions.inputs) read tasks (one per partition of \(inputTopic)) writing to \(repartition.name), "
                  + "\(partitions.windowTasks) window tasks (one per partition of it), window sums to \(outputTopic), checkpoints in \(storage.location)/tasks")
        } else {
            print("weir worker: group \(group) at \(broker), \(partitions.inputs) tasks (one per partition of \(inputTopic)), window sums to \(outputTopic), checkpoints in \(storage.location)/tasks")
        }
        let cancellation = env.cancellation
        let interrupts = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancellation.cancel() }
            source.resume()
            return source
        }
        defer { for source in interrupts { source.cancel() } }
        // The worker's generation and tasks for /status and its gauges, every second.
        let reporting = metrics.map { metrics in
            Task {
                while !Task.isCancelled {
                    if let status = started.worker.withLock({ $0?.status }) {
                        metrics.updateWorker(generation: status.generation, tasks: status.tasks.map(\.name), ended: status.endedTasks.map(\.name))
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        defer { reporting?.cancel() }
        try env.execute(Self.jobName(of: group))
        #else
        throw KafkaSupport.missing
        #endif
    }

    /// The topic between the reference job's stages (also read by `weir group`).
    static func repartitionTopic(of group: String) -> String { group + "-repartition" }

    /// The job's name: each task's job is `<name>-<topic>-<partition>`, and so are its sinks' transactional ids.
    static func jobName(of group: String) -> String { "weir-worker-" + group }

    /// The key groups of the worker job (StreamEnvironment's default).
    static let maxParallelism = 128

    #if Kafka
    /// What the job is built from.
    struct JobSettings {
        var broker: BrokerAddress
        var group: String
        var inputTopic: String
        var inputPartitions: Int32
        var outputTopic: String
        var interval: Int
        var window: Int64
        var disorder: Int64
        var follow: Bool
        var rate: Double?
    }

    /// The reference job for a Kafka group: with a repartition topic, two stages (the input's
    /// events into it by key group; its key groups' window sums into the output topic), without
    /// one a single stage over an input partitioned by key.
    static func job(_ settings: JobSettings, repartition: RepartitionTopic?, checkpoints: any CheckpointStorage) throws -> StreamEnvironment {
        let env = StreamEnvironment(parallelism: 1)
        env.maxParallelism = maxParallelism
        env.checkpointing = CheckpointConfiguration(storage: checkpoints, interval: .milliseconds(settings.interval))
        env.warningHandler = { FileHandle.standardError.write(Data("weir worker: \($0)\n".utf8)) }
        let lines = KafkaSupport.ReferenceLineDeserializer(skipBadLines: false, badLines: Counter())
        guard let repartition else {
            let events = Self.events(env, settings, deserializer: CoPartitionedDeserializer(lines, partitionCount: settings.inputPartitions))
            sumAndWrite(events.map(name: "Event") { $0.value }, settings)
            return env
        }
        // The read stage: each input partition's events into the repartition partition of their key's key group, with the task's watermark, exactly once.
        events(env, settings, deserializer: lines)
            .repartition(into: repartition, bootstrap: [settings.broker], key: { $0.value.key },
                         serializer: KafkaClosureSerializer { (event: StreamRecord<ReferenceEvent>) in
                             KafkaProducerRecord(key: ByteBuffer(string: String(event.value.key)), value: ByteBuffer(string: ReferenceEvent.line(event)))
                         })
        // The window stage: one repartition partition (its key groups), read committed, with the
        // read tasks' watermarks; ends when every read task has ended (unless --follow).
        var source = KafkaSource(bootstrap: [settings.broker], topics: [repartition.name], deserializer: lines)
        source.offsetCommitGroup = WorkerGroupStatus.positionsGroup(of: settings.group)
        source.repartitionTopic = repartition
        source.boundedness = settings.follow ? .unbounded : .untilWritersEnd
        sumAndWrite(env.addSource(source, name: "Repartitioned").map(name: "Event") { $0.value }, settings)
        return env
    }

    /// The input, read committed, a task's partition each, with watermarks per partition (and the --rate throttle).
    private static func events(_ env: StreamEnvironment, _ settings: JobSettings,
                               deserializer: some KafkaRecordDeserializer<StreamRecord<ReferenceEvent>>) -> DataStream<StreamRecord<ReferenceEvent>> {
        var source = KafkaSource(bootstrap: [settings.broker], topics: [settings.inputTopic], deserializer: deserializer)
        // For `weir group`'s lag: the positions of completed checkpoints, in a group of their own.
        source.offsetCommitGroup = WorkerGroupStatus.positionsGroup(of: settings.group)
        source.boundedness = settings.follow ? .unbounded : .latestAtStart
        source.watermarks = WatermarkStrategy<StreamRecord<ReferenceEvent>>.boundedOutOfOrderness(.milliseconds(settings.disorder))
            .withTimestampAssigner { $0.timestamp }
        var events = env.addSource(source, name: "Kafka")
        if let rate = settings.rate {
            // Per task: each task's job has operators of its own.
            events = events.flatMapPerClusterTask(name: "Throttle", outsideCluster: "the worker's throttle runs in a cluster") { _ in
                let throttle = Throttle(perSecond: rate)
                return { event in throttle.pass(); return CollectionOfOne(event) }
            }
        }
        return events
    }

    /// Window sums of `events`, written to the output topic in transactions (ids from the task's job name).
    private static func sumAndWrite(_ events: DataStream<ReferenceEvent>, _ settings: JobSettings) {
        let sums = events
            .keyBy { $0.key }
            .window(.tumbling(size: .milliseconds(settings.window)))
            .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
        sums.sink(KafkaSink(bootstrap: [settings.broker], topic: settings.outputTopic, serializer: KafkaClosureSerializer { (sum: WindowSum) in
            KafkaProducerRecord(key: ByteBuffer(string: String(sum.key)), value: ByteBuffer(string: sum.csvLine), timestamp: ProcessingClock.nowMilliseconds())
        }, guarantee: .exactlyOnce), name: "Kafka")
    }

    /// The cluster's worker once it started, for the status reports.
    final class StartedWorker: Sendable {
        let worker = Mutex<KafkaGroupWorker?>(nil)
    }

    /// --progress: each task's progress (records read, watermark, late records, latest
    /// checkpoint, restarts) every so many seconds; its reports come every second for the metrics.
    final class TaskProgressLog: Sendable {
        let seconds: Int
        let lastLogged = Mutex<[WorkerTask: UInt64]>([:])

        init(seconds: Int) { self.seconds = seconds }

        func report(_ progress: JobProgress, task: WorkerTask) {
            let now = ProcessingClock.monotonicNanoseconds()
            let due = lastLogged.withLock { last in
                guard let previous = last[task], now - previous < UInt64(seconds) * 1_000_000_000 - 100_000_000 else {
                    last[task] = now
                    return true
                }
                return false
            }
            guard due else { return }
            // The furthest-downstream watermark a task of the job saw (its windows' event time).
            let first = progress.operators.first
            let watermark = progress.operators.last { $0.currentWatermark != Int64.min }.map { String($0.currentWatermark) } ?? "none"
            let line = "\(task.name): \(first?.recordsOut.value ?? 0) records read, watermark \(watermark), \(progress.lateRecordsDropped) late, "
                + "checkpoint \(progress.checkpoints.last.map { String($0.checkpointID) } ?? "none"), \(progress.restarts) restarts"
            FileHandle.standardError.write(Data("weir worker: \(line)\n".utf8))
        }
    }
    #endif
}

/// Lets at most `perSecond` calls of ``pass()`` through per second (sleeping the caller).
final class Throttle: @unchecked Sendable {
    private let interval: Double
    private let lock = NSLock()
    private var next = ProcessingClock.monotonicNanoseconds()

    init(perSecond: Double) { interval = 1e9 / perSecond }

    func pass() {
        let wait: UInt64 = lock.withLock {
            let now = ProcessingClock.monotonicNanoseconds()
            next = max(next, now) + UInt64(interval)
            return next > now + UInt64(interval) ? next - now - UInt64(interval) : 0
        }
        // Sleep in slices of at least a millisecond: a per-event sleep would cost more than the event.
        if wait >= 1_000_000 { Thread.sleep(forTimeInterval: Double(wait) / 1e9) }
    }
}
