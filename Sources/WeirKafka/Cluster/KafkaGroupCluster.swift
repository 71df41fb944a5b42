import Foundation
@_spi(ClusterRunner) import Weir

/// Runs a job built with `StreamEnvironment` as one of N identical processes that form a Kafka
/// consumer group (``KafkaGroupWorker`` does the group's work): set `env.cluster =
/// .kafkaGroup(bootstrap:group:)` and start the same program N times; `env.execute()` joins the
/// group and runs this process's share of the tasks until `env.stop()` or `env.cancel()`.
///
/// The job is split into **stages** where it reads a topic: each `KafkaSource` and what it feeds
/// is a stage, and the stage runs as one task per partition of that topic, each with
/// parallelism 1, state and checkpoints of its own (under the job's checkpoint storage, in
/// `tasks/<topic>-<partition>`), and a job name of its own (`<job>-<topic>-<partition>`:
/// the sinks' default transactional ids). A job reads one input topic; where it keys the
/// stream it writes it into a ``RepartitionTopic`` (`DataStream.repartition(into:bootstrap:key:serializer:…)`)
/// and the next stage reads that topic (``KafkaSource/repartitionTopic``) — created here if
/// missing. A stage that keys a stream its source did not partition by key is refused before
/// anything runs, as is a source that is not Kafka's. From `Examples/ClicksAcrossWorkers`:
///
/// ```swift
/// let env = StreamEnvironment()
/// env.checkpointing = CheckpointConfiguration(storage: S3CheckpointStorage(s3, prefix: "clicks"), interval: .seconds(1))
/// var cluster = KafkaGroupCluster(bootstrap: brokers, group: "clicks")
/// cluster.instanceID = ProcessInfo.processInfo.environment["POD_NAME"]   // static membership, optional
/// env.cluster = cluster                                                  // or .kafkaGroup(bootstrap:group:)
///
/// let hop = try RepartitionTopic(name: "clicks-by-user", partitions: 8, writers: 6)   // 6: partitions of "clicks"
/// env.addSource(clicks, name: "Clicks")
///     .repartition(into: hop, bootstrap: brokers, key: { click($0).user }, serializer: lineRecords)
/// var byUser = KafkaSource(bootstrap: brokers, topics: [hop.name], deserializer: lines)
/// byUser.repartitionTopic = hop
/// byUser.boundedness = .untilWritersEnd        // a bounded input: end when every writer has
/// env.addSource(byUser, name: "ByUser")
///     .map { click($0) }
///     .keyBy { $0.user }
///     .window(.tumbling(size: .minutes(1)))
///     .process { (user: String, window: TimeWindow, clicks: [Click], out: WindowCollector<String>) in
///         try out.collect("\(user) \(window): \(clicks.count) clicks")
///     }
///     .sink(KafkaSink(bootstrap: brokers, topic: "counts", serializer: lineRecords, guarantee: .exactlyOnce), name: "Counts")
/// signal(SIGTERM, SIG_IGN)
/// let stop = DispatchSource.makeSignalSource(signal: SIGTERM)
/// stop.setEventHandler { env.stop() }
/// stop.resume()
/// try env.execute("clicks")                    // in each process: joins the group, runs its share
/// ```
public struct KafkaGroupCluster: ClusterRunner {
    /// Brokers to learn the cluster from.
    public var bootstrap: [BrokerAddress]
    /// The consumer group the processes form: one per job.
    public var group: String
    /// Static membership: a process restarted with the same id within the session timeout gets its tasks back without a rebalance.
    public var instanceID: String?
    /// How long the coordinator waits for a silent process before its tasks go to the others. Default 10 s.
    public var sessionTimeout: Duration = .seconds(10)
    /// How long a rebalance waits for every process to join again. Default 30 s.
    public var rebalanceTimeout: Duration = .seconds(30)
    /// The Kafka client's connection settings.
    public var client = KafkaClientConfiguration()
    /// Receives each task's progress with its task (metrics per task), about every
    /// `progressInterval` of the environment; the environment's `progressHandler` gets it too.
    public var taskProgress: (@Sendable (WorkerTask, JobProgress) -> Void)?
    /// Gets the process's worker when it starts: its ``KafkaGroupWorker/status`` (generation, tasks) for a status page.
    public var onStart: (@Sendable (KafkaGroupWorker) -> Void)?
    /// The worker's log lines (joins, generations, tasks started and ended). Default: standard error.
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("weir worker: \($0)\n".utf8)) }

    /// The processes of `group`, with the other settings at their defaults.
    public init(bootstrap: [BrokerAddress], group: String) {
        self.bootstrap = bootstrap
        self.group = group
    }

    /// Where the task named `task` (``WorkerTask/name``) keeps its checkpoints in the job's
    /// storage: `tasks/<task>`, for the workers and for tools that read them (`weir group`).
    /// `nil` if the storage cannot nest one.
    public static func taskCheckpoints(of task: String, in storage: any CheckpointStorage) -> (any CheckpointStorage)? {
        storage.nested("tasks/" + task)
    }

    /// Joins the group and runs the tasks it deals this process until the environment's job is
    /// stopped or cancelled (then this process leaves, and the others take its tasks over at
    /// once) or a task fails for good (``WorkerError/taskFailed(_:_:)``).
    public func execute(_ environment: StreamEnvironment, jobName: String) throws -> JobExecutionResult {
        let started = ProcessingClock.monotonicNanoseconds()
        guard let checkpointing = environment.checkpointing else {
            throw JobError.invalidJob("a cluster job needs checkpoints (StreamEnvironment.checkpointing): a task's state must restore on whichever process runs it next")
        }
        guard Self.taskCheckpoints(of: "probe", in: checkpointing.storage) != nil else {
            throw JobError.invalidJob("the checkpoint storage \(checkpointing.storage.location) cannot hold a storage per task; use a directory all processes share or S3 (S3CheckpointStorage)")
        }
        let stages = try KafkaClusterStages(environment.clusterStages())
        let (inputTopic, repartitionTopics) = (stages.inputTopic, stages.repartitionTopics)
        for topic in repartitionTopics where topic.maxParallelism != environment.maxParallelism {
            throw JobError.invalidJob("repartition topic \(topic.name) has \(topic.maxParallelism) key groups and the job \(environment.maxParallelism) (StreamEnvironment.maxParallelism): a key's partition and its state's key group would not agree; give RepartitionTopic the job's maxParallelism")
        }
        var configuration = KafkaGroupWorker.Configuration(bootstrap: bootstrap, group: group, inputTopic: inputTopic)
        configuration.repartitionTopics = repartitionTopics.map(\.name)
        configuration.instanceID = instanceID
        configuration.sessionTimeout = sessionTimeout
        configuration.rebalanceTimeout = rebalanceTimeout
        configuration.client = client
        let (bootstrap, clientConfiguration) = (bootstrap, client)
        try awaitOnTaskThread { try await Self.createRepartitionTopics(repartitionTopics, bootstrap: bootstrap, client: clientConfiguration) }

        let job = ClusterJob(environment: environment)
        let (taskProgress, storage) = (taskProgress, checkpointing.storage)
        let worker = KafkaGroupWorker(
            configuration: configuration, jobName: jobName, taskJobName: { "\(jobName)-\($0.name)" },
            checkpointStorage: { task in Self.taskCheckpoints(of: task.name, in: storage)! }, log: log,
            makeJob: { task in
                let environment = try job.environment.clusterTaskEnvironment(for: ClusterTask(input: task.input.topic, partition: task.input.partition, partitionCount: task.partitionCount))
                let (warn, progress) = (environment.warningHandler, environment.progressHandler)
                environment.warningHandler = { warn("\(task.name): \($0)") }
                if let taskProgress {
                    environment.progressHandler = { report in
                        taskProgress(task, report)
                        progress?(report)
                    }
                }
                return environment
            })
        onStart?(worker)
        try awaitOnTaskThread {
            // env.stop() / env.cancel() (a signal handler's) reach the worker from here.
            let watching = Task {
                while !Task.isCancelled {
                    if job.isStopRequested { worker.stop() }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            defer { watching.cancel() }
            try await worker.run()
        }
        return JobExecutionResult(clusterJob: jobName, durationSeconds: Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9, stopped: true)
    }

    /// Creates the repartition topics that do not exist yet, and checks those that do have the
    /// partitions the job's ``RepartitionTopic`` says (its keys' partitions depend on it).
    static func createRepartitionTopics(_ topics: [RepartitionTopic], bootstrap: [BrokerAddress], client configuration: KafkaClientConfiguration) async throws {
        guard !topics.isEmpty else { return }
        let client = KafkaClient(bootstrap: bootstrap, configuration: configuration)
        do {
            for topic in topics { try await client.createTopic(topic.name, partitions: topic.partitions) }
            let metadata = try await client.refreshMetadata(topics: topics.map(\.name))
            for topic in topics {
                let found = metadata.topics.first { $0.name == topic.name }?.partitions.count ?? 0
                guard found == Int(topic.partitions) else {
                    throw RepartitionError.invalidTopic(topic.name, reason: "the broker has it with \(found) partitions, the job with \(topic.partitions): a key's partition would differ between writers and readers (delete the topic, or give the job a new one)")
                }
            }
            await client.close()
        } catch {
            await client.close()
            throw error
        }
    }
}

extension ClusterRunner where Self == KafkaGroupCluster {
    /// The processes of `group` at `bootstrap` run the job together (``KafkaGroupCluster``).
    public static func kafkaGroup(bootstrap: [BrokerAddress], group: String) -> KafkaGroupCluster {
        KafkaGroupCluster(bootstrap: bootstrap, group: group)
    }
}

/// The job's environment, read by the worker's task builder: it is not changed after
/// `execute` began, and ``StreamEnvironment/isStopRequested`` takes a lock.
private struct ClusterJob: @unchecked Sendable {
    let environment: StreamEnvironment
    var isStopRequested: Bool { environment.isStopRequested }
}
