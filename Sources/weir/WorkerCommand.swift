import ArgumentParser
import Foundation
import Weir
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
            consumer group --group; the group's leader deals one task per partition of --input-topic \
            to them (balanced, and sticky across rebalances). Each task checkpoints into \
            <--checkpoint-dir>/tasks/<topic>-<partition> (a directory all workers share, or \
            s3://bucket/prefix with --traits S3) and writes its window sums to --output-topic in Kafka \
            transactions of its own. When a worker dies, its tasks move after --session-timeout and \
            restore from their latest checkpoints; when one joins, the tasks are dealt again.

            Each task reads one partition and keeps the state of the keys in it, so the input must be \
            partitioned by key (weir produce --partition-by key); a record in another partition than \
            its key's fails the task with an error that says so. A repartition topic between tasks is \
            not built yet.

            Example (three workers on one machine; weir group shows them):
              weir produce --topic clicks --partitions 6 --partition-by key --events 1000000
              for i in 1 2 3; do weir worker --input-topic clicks --output-topic sums \\
                  --checkpoint-dir /tmp/weir-workers & done
            Ctrl-C (SIGINT/SIGTERM) stops a worker's tasks and leaves the group at once.
            """)

    @Option(help: "A broker, host:port.") var kafkaBootstrap: String = "127.0.0.1:9092"
    @Option(help: "The consumer group the workers form (one per job).") var group: String = "weir-reference"
    @Option(help: "The topic read (partitioned by key); one task per partition.") var inputTopic: String = "weir-events"
    @Option(help: "The topic the window sums are written to (created with as many partitions as the input).") var outputTopic: String = "weir-window-sums"
    @Option(help: "Where the tasks' checkpoints live: a directory shared by the workers, or s3://bucket/prefix.") var checkpointDir: String
    @OptionGroup var s3: S3Options
    @Option(help: "Milliseconds between checkpoints.") var checkpointInterval: Int = 1_000
    @Option(help: "Tumbling window size in milliseconds.") var window: Int64 = 1_000
    @Option(help: "Maximum out-of-orderness of event timestamps, in milliseconds (the watermark trails by this).") var disorder: Int64 = 50
    @Option(help: "Milliseconds without a heartbeat after which the group gives a worker's tasks to the others.") var sessionTimeout: Int = 10_000
    @Option(help: "Static membership: a worker restarted with the same id within the session timeout gets its tasks back without a rebalance.") var instanceID: String?
    @Option(help: "Read at most this many events per second per task (to watch a rebalance happen; default: as fast as possible).") var rate: Double?
    @Flag(help: "Keep reading new records (tasks run until the worker stops) instead of ending each task at its partition's end at start.") var follow = false

    func validate() throws {
        guard checkpointInterval > 0, window > 0, disorder >= 0, sessionTimeout >= 1_000 else {
            throw ValidationError("--checkpoint-interval and --window must be positive, --disorder not negative, --session-timeout at least 1000 ms")
        }
        guard rate.map({ $0 > 0 }) ?? true else { throw ValidationError("--rate must be positive") }
        if checkpointDir.hasPrefix("s3://"), !StorageLocation.s3IsBuiltIn { throw StorageLocation.s3Missing }
    }

    func run() throws {
        #if Kafka
        guard let broker = try? BrokerAddress(kafkaBootstrap) else { throw ValidationError("--kafka-bootstrap \(kafkaBootstrap) is not host:port") }
        var configuration = KafkaGroupWorker.Configuration(bootstrap: [broker], group: group, inputTopic: inputTopic)
        configuration.sessionTimeout = .milliseconds(sessionTimeout)
        configuration.instanceID = instanceID
        let storage = s3.location(checkpointDir)
        let (group, outputTopic, interval, window, disorder, follow, rate) = (group, outputTopic, checkpointInterval, window, disorder, follow, rate)
        let inputTopic = self.inputTopic
        let partitions = try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [broker])
            defer { Task { await client.close() } }
            let metadata = try await client.refreshMetadata(topics: [inputTopic])
            guard let topic = metadata.topics.first(where: { $0.name == inputTopic }), topic.errorCode == .none else {
                throw ValidationError("the input topic \(inputTopic) does not exist at \(broker) (weir produce --partition-by key fills one)")
            }
            try await client.createTopic(outputTopic, partitions: Int32(topic.partitions.count))
            return topic.partitions.count
        }
        let settings = configuration
        let worker = KafkaGroupWorker(
            configuration: settings, jobName: "weir-reference-worker",
            checkpointStorage: { task in
                try StorageLocation(location: Self.taskCheckpoints(in: storage.location, task: task.name), s3Endpoint: storage.s3Endpoint, s3Region: storage.s3Region).checkpointStorage()
            },
            makeJob: { task in
                try Self.job(task, broker: broker, group: group, outputTopic: outputTopic, interval: interval, window: window, disorder: disorder, follow: follow, rate: rate)
            })
        print("weir worker: group \(group) at \(broker), \(partitions) tasks (one per partition of \(inputTopic)), window sums to \(outputTopic), checkpoints in \(storage.location)/tasks")
        let interrupts = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { worker.stop() }
            source.resume()
            return source
        }
        defer { for source in interrupts { source.cancel() } }
        try awaitOnTaskThread { try await worker.run() }
        #else
        throw KafkaSupport.missing
        #endif
    }

    /// Where a task's checkpoints live under the workers' --checkpoint-dir (also read by `weir group`).
    static func taskCheckpoints(in directory: String, task name: String) -> String { directory + "/tasks/" + name }

    #if Kafka
    /// The reference job over one task's partition: read committed, checked to be partitioned
    /// by key, windowed, written in transactions whose ids are the task's.
    static func job(_ task: WorkerTask, broker: BrokerAddress, group: String, outputTopic: String, interval: Int, window: Int64,
                    disorder: Int64, follow: Bool, rate: Double?) throws -> StreamEnvironment {
        let env = StreamEnvironment(parallelism: 1)
        env.checkpointing = CheckpointConfiguration(directory: "(set by the worker)", interval: .milliseconds(interval))
        env.warningHandler = { FileHandle.standardError.write(Data("weir worker: \(task.name): \($0)\n".utf8)) }
        var source = KafkaSource(bootstrap: [broker], topics: [task.input.topic],
                                 deserializer: CoPartitionedDeserializer(KafkaSupport.ReferenceLineDeserializer(skipBadLines: false, badLines: Counter()),
                                                                         partitionCount: task.partitionCount))
        source.onlyPartitions = [task.input]
        // For `weir group`'s lag: the positions of completed checkpoints, in a group of their own.
        source.offsetCommitGroup = WorkerGroupStatus.positionsGroup(of: group)
        source.boundedness = follow ? .unbounded : .latestAtStart
        source.watermarks = WatermarkStrategy<StreamRecord<ReferenceEvent>>.boundedOutOfOrderness(.milliseconds(disorder))
            .withTimestampAssigner { $0.timestamp }
        var events = env.addSource(source, name: "Kafka").map(name: "Event") { $0.value }
        if let rate {
            let throttle = Throttle(perSecond: rate)
            events = events.map(name: "Throttle") { event in throttle.pass(); return event }
        }
        let sums = events
            .keyBy { $0.key }
            .window(.tumbling(size: .milliseconds(window)))
            .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
        var sink = KafkaSink(bootstrap: [broker], topic: outputTopic, serializer: KafkaClosureSerializer { (sum: WindowSum) in
            KafkaProducerRecord(key: ByteBuffer(string: String(sum.key)), value: ByteBuffer(string: sum.csvLine), timestamp: ProcessingClock.nowMilliseconds())
        }, guarantee: .exactlyOnce)
        // The task's own ids: the next owner of the task fences this one's producers with them.
        sink.transactionalIDPrefix = "weir-worker-\(group)-\(task.name)"
        sums.sink(sink, name: "Kafka")
        return env
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
