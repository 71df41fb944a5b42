import Foundation

/// Where a job is defined and run: sources start here, `execute` runs the job.
///
/// ```swift
/// let env = StreamEnvironment(parallelism: 2)
/// let counts = env.addSource(GeneratorSource(count: 10_000) { i in
///         StreamRecord(Event(key: Int(i % 100), value: 1), timestamp: i)
///     })
///     .keyBy { $0.key }
///     .window(.tumbling(size: .seconds(1)))
///     .reduce { Event(key: $0.key, value: $0.value + $1.value) }
/// counts.print()
/// try env.execute("counts")
/// ```
///
/// Building the job is single-threaded (use the environment from one thread); the job itself
/// runs on threads of its own.
public final class StreamEnvironment {
    /// Default number of parallel subtasks of each operator. Default: the number of cores.
    public var parallelism: Int
    /// Number of key groups, the upper bound for the parallelism of keyed operators, fixed for
    /// the lifetime of a job's state (rescaling redistributes key groups). Default 128.
    public var maxParallelism: Int = 128
    /// Batching, channel capacity and processing-time ticks.
    public var runtime = RuntimeConfiguration()
    /// Where keyed state lives. Default: ``HeapStateBackend``.
    public var stateBackend: any StateBackend = HeapStateBackend()
    /// Checkpoints; `nil` (the default) takes none.
    public var checkpointing: CheckpointConfiguration?
    /// What happens when a task fails. A restart continues from the latest completed checkpoint.
    /// Default: with checkpoints, ``RestartStrategy/exponentialDelay(_:)`` with its defaults
    /// (a lost broker connection or a database restart is ridden out); without, `.none`
    /// (`execute()` throws — a restart would start over and repeat all output).
    public var restartStrategy: RestartStrategy {
        get { explicitRestartStrategy ?? (checkpointing != nil ? .exponentialDelay(ExponentialDelayRestart()) : .none) }
        set { explicitRestartStrategy = newValue }
    }
    @usableFromInline var explicitRestartStrategy: RestartStrategy?
    /// Where the job starts: `.fresh` (default) or `.latest` completed checkpoint in the
    /// checkpoint directory (to continue after a process crash).
    public var resume: ResumeMode = .fresh
    /// Called about every `progressInterval` while the job runs (on a thread of its own).
    public var progressHandler: (@Sendable (JobProgress) -> Void)?
    /// How often `progressHandler` is called. Default 1 s.
    public var progressInterval: Duration = .seconds(1)
    /// Receives warnings (aborted checkpoints, damaged checkpoints skipped, restarts).
    /// Default: standard error.
    public var warningHandler: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("weir: \(message)\n".utf8))
    }

    /// Runs the job as one of several identical processes (`.kafkaGroup(…)` from WeirKafka:
    /// the members of a Kafka consumer group), each running its share of the job's tasks — one
    /// per partition of each stage's input (see ``ClusterRunner``). `nil` (the default): the
    /// whole job runs in this process.
    public var cluster: (any ClusterRunner)?

    @usableFromInline let graph: StreamGraph
    @usableFromInline let running = RunningExecutor()

    /// An environment whose operators run `parallelism` subtasks each unless set otherwise
    /// (default: one per core).
    public init(parallelism: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) {
        precondition(parallelism >= 1, "parallelism must be at least 1")
        self.parallelism = parallelism
        self.graph = StreamGraph()
    }

    /// An environment running `graph` (one task of a cluster, see ``clusterTaskEnvironment(for:)``).
    init(parallelism: Int, graph: StreamGraph) {
        self.parallelism = parallelism
        self.graph = graph
    }

    /// A stream read from `source`, one reader per parallel subtask.
    @inlinable public func addSource<S: Source>(_ source: S, name: String = "Source") -> DataStream<S.Output> {
        let id = graph.add(name: name, parallelism: parallelism, kind: Self.sourceKind(source), inputs: [], outputs: .of(S.Output.self))
        // A cluster runs the source once per partition, each task reading its own.
        if let partitioned = source as? any PartitionedSource {
            graph.nodes[id].partitionedInput = PartitionedInput(source: partitioned) { task in
                Self.sourceKind((source as! any PartitionedSource).reading(partition: task.partition, of: task.input) as! S)
            }
        }
        return DataStream(environment: self, producers: [.init(node: id, tag: nil)])
    }

    /// The graph node that runs `source`'s readers.
    @inlinable static func sourceKind<S: Source>(_ source: S) -> StreamNode.Kind {
        .source(run: { task, output, checkpoint in
            try SourceTaskLoop(task: task, source: source, output: output.object as! Output<S.Output>, checkpointing: checkpoint.checkpointing,
                               restoredSplits: checkpoint.restoredSplits, operatorID: checkpoint.operatorID, maxParallelism: checkpoint.maxParallelism).run()
        }, maxParallelism: source.maxParallelism)
    }

    /// A stream of `values` (without timestamps), read by one subtask in order.
    @inlinable public func fromCollection<T: Sendable>(_ values: [T], name: String = "Collection") -> DataStream<T> {
        addSource(CollectionSource(values), name: name)
    }

    /// The tasks and operator chains the job would run, one line per task.
    public func explain() throws -> String {
        try ExecutionPlan(graph: graph, maxParallelism: maxParallelism).summary
    }

    /// Runs the job on this thread's behalf until every source is exhausted and every record
    /// has reached its sink, or until a task fails (and the restart strategy gives up).
    ///
    /// - Throws: ``OperatorFailure`` naming the operator and subtask whose user function or
    ///   connector threw (every other task is stopped first), ``JobError`` if the job cannot be
    ///   built, ``CheckpointError`` if checkpoints cannot be written or restored.
    @discardableResult
    public func execute(_ jobName: String = "Weir job") throws -> JobExecutionResult {
        if let cluster {
            running.reset()
            return try cluster.execute(self, jobName: jobName)
        }
        if let reason = graph.nodes.lazy.compactMap(\.clusterOnly).first { throw JobError.invalidJob(reason) }
        let plan = try ExecutionPlan(graph: graph, maxParallelism: maxParallelism)
        let started = ProcessingClock.monotonicNanoseconds()
        running.reset()
        var store: CheckpointStore?
        var restore: CheckpointStore.Completed?
        if let checkpointing {
            guard checkpointing.retainedCheckpoints >= 1 else { throw JobError.invalidJob("retainedCheckpoints must be at least 1") }
            let checkpointStore = CheckpointStore(checkpointing.storage)
            if resume == .fresh { try discardEarlierCheckpoints(checkpointStore) }
            try checkpointStore.storage.claim(resuming: resume == .latest)
            try checkpointStore.removeUnreferencedSharedFiles()
            store = checkpointStore
            if resume == .latest {
                restore = try checkpointStore.latestValid(report: warningHandler, beforeFallingBack: checkFallback)
                if let restore, restore.metadata.jobName != jobName {
                    throw CheckpointError.incompatible("the latest checkpoint in '\(checkpointing.storage.location)' belongs to job '\(restore.metadata.jobName)', not '\(jobName)'")
                }
            }
        }
        let restoredFrom = restore?.metadata.checkpointID
        var restarts = RestartTracker(strategy: restartStrategy, now: ProcessingClock.monotonicNanoseconds())
        var checkpoints: [CheckpointStatistics] = []
        let reporter = progressHandler.map { ProgressReporter(handler: $0, interval: progressInterval, metrics: plan.metrics, started: started) }
        defer { reporter?.stop() }
        while true {
            let executor = JobExecutor(plan: plan, configuration: runtime, stateBackend: stateBackend, checkpointing: checkpointing.map { configuration in
                JobExecutor.Checkpointing(configuration: configuration, store: store!, restore: restore, jobName: jobName, warn: warningHandler)
            }, jobName: jobName, warn: warningHandler)
            reporter?.watch(executor, restarts: restarts.total)
            guard running.start(executor) else { throw JobError.cancelled }
            defer { running.finish() }
            do {
                try executor.run()
                checkpoints += executor.completedCheckpoints
                break
            } catch {
                checkpoints += executor.completedCheckpoints
                let decision = restarts.failed(error, now: ProcessingClock.monotonicNanoseconds())
                guard case .restart(let delay) = decision, !running.isCancelled, !running.isStopping else {
                    if case .giveUp(let inARow) = decision, inARow > 0 {
                        warningHandler("job '\(jobName)' gives up after \(inARow) restarts in a row (restart strategy \(restartStrategy))")
                    }
                    throw error
                }
                // A run that another run superseded while it was failing must not restart: its
                // recovery would fence the newer run's transactions.
                try store?.storage.checkStillOwned()
                warningHandler("job '\(jobName)' failed (\(error)); restart \(restarts.total) in \(delay)")
                // The delay gives way to a cancel or stop (Ctrl-C during a long backoff).
                let resumeAt = ProcessingClock.monotonicNanoseconds() + UInt64(max(0, delay.wholeMilliseconds)) * 1_000_000
                while ProcessingClock.monotonicNanoseconds() < resumeAt, !running.isCancelled, !running.isStopping { Thread.sleep(forTimeInterval: 0.02) }
                if running.isCancelled { throw JobError.cancelled }
                if running.isStopping { throw error }
                // No checkpoint is in flight now: the files the failed run's unfinished ones uploaded go.
                try store?.removeUnreferencedSharedFiles()
                restore = try store?.latestValid(report: warningHandler, beforeFallingBack: checkFallback)
            }
        }
        // Every task has ended: the files of checkpoints that did not complete (an aborted one, or
        // one the final checkpoint overtook) go now rather than at the next run's claim — unless a
        // newer run owns the storage (then they are its business).
        if let store, (try? store.storage.checkStillOwned()) != nil { try? store.removeUnreferencedSharedFiles() }
        // Late records after a restore mean the restore broke event time somewhere: say so, by operator.
        if restoredFrom != nil || restarts.total > 0 {
            for op in plan.metrics where op.lateRecordsDropped.value > 0 {
                warningHandler("operator '\(op.operatorName)' dropped \(op.lateRecordsDropped.value) late records in a run that was restored from a checkpoint")
            }
        }
        let seconds = Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9
        return JobExecutionResult(jobName: jobName, durationSeconds: seconds, operators: plan.metrics, restarts: restarts.total,
                                  restoredFrom: restoredFrom, checkpoints: checkpoints, stopped: running.isStopping)
    }

    /// A fresh run starts a checkpoint history of its own: an earlier run's checkpoints left in
    /// the storage would otherwise be restored on this run's first restart (their ids are higher).
    @usableFromInline func discardEarlierCheckpoints(_ store: CheckpointStore) throws {
        let earlier = try store.storage.storedCheckpoints()
        guard !earlier.isEmpty else { return }
        warningHandler("starting fresh: deleting \(earlier.count) checkpoint\(earlier.count == 1 ? "" : "s") of an earlier run in '\(store.location)' (StreamEnvironment.resume = .latest continues them instead)")
        for checkpoint in earlier { store.storage.discard(checkpoint) }
    }

    /// Decides whether a restore may use checkpoint `older` when newer completed ones are
    /// unusable: only if no sink would duplicate replayed results, or the user accepted that.
    @usableFromInline func checkFallback(_ unusable: [CheckpointStore.UnusableCheckpoint], to older: Int64) throws {
        guard let checkpointing else { return }
        let atRisk = graph.sinksDuplicatingReplays
        let names = unusable.map { "\($0.checkpointID)" }.joined(separator: ", ")
        if atRisk.isEmpty {
            warningHandler("restoring the older checkpoint \(older) instead of \(names): every sink of the job replaces replayed results, so the output stays exact")
            return
        }
        switch checkpointing.unusableLatestCheckpoint {
        case .restoreOlderAcceptingDuplicates:
            warningHandler("restoring the older checkpoint \(older) instead of \(names), as configured: results the sinks \(atRisk.map { "'\($0)'" }.joined(separator: ", ")) committed after checkpoint \(older) may appear twice")
        case .restoreOlderIfReplaySafe:
            throw CheckpointError.unsafeFallback(directory: checkpointing.storage.location, unusable: unusable.map(\.checkpointID), reasons: unusable.map(\.reason),
                                                 older: older, sinks: atRisk)
        }
    }

    /// Stops the job that `execute` is running (from any thread, e.g. a signal handler):
    /// every task stops, `execute` throws ``JobError/cancelled``, no restart follows. What the
    /// completed checkpoints hold stays: a run with `resume: .latest` continues from there.
    public func cancel() {
        running.cancel()
    }

    /// Stops the job that `execute` is running with a final checkpoint (from any thread): the
    /// sources end where they are (event time does not end: open windows stay in the
    /// checkpoint), the final checkpoint commits every sink's output up to there, and `execute`
    /// returns normally with ``JobExecutionResult/stopped`` set. A run with `resume: .latest`
    /// continues from that checkpoint. Without checkpoints the job just ends where it is.
    public func stop() {
        running.stop()
    }

    /// A handle that cancels this environment's job from any thread or task (the environment
    /// itself is used from one thread).
    public var cancellation: JobCancellation { JobCancellation(running: running) }

    /// Runs the job without blocking a cooperative thread of Swift concurrency: the job's own
    /// threads do the work while the caller is suspended.
    @discardableResult
    public func execute(_ jobName: String = "Weir job") async throws -> JobExecutionResult {
        let box = UncheckedEnvironment(environment: self)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JobExecutionResult, any Error>) in
            Thread {
                do {
                    continuation.resume(returning: try box.environment.execute(jobName))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}
