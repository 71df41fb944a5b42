import Foundation

/// Where a job is defined and run: sources start here, `execute` runs the job.
///
/// ```swift
/// let env = StreamEnvironment(parallelism: 2)
/// let counts = env.addSource(GeneratorSource(count: 1_000_000) { i in
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

    let graph = StreamGraph()

    public init(parallelism: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) {
        precondition(parallelism >= 1, "parallelism must be at least 1")
        self.parallelism = parallelism
    }

    /// A stream read from `source`, one reader per parallel subtask.
    public func addSource<S: Source>(_ source: S, name: String = "Source") -> DataStream<S.Output> {
        let run: @Sendable (TaskEnvironment, ErasedObject) throws -> Void = { task, output in
            try SourceTaskLoop(task: task, source: source, output: output.object as! Output<S.Output>).run()
        }
        let id = graph.add(name: name, parallelism: parallelism, kind: .source(run: run, maxParallelism: source.maxParallelism), inputs: [], outputs: .of(S.Output.self))
        return DataStream(environment: self, producers: [.init(node: id, tag: nil)])
    }

    /// A stream of `values` (without timestamps), read by one subtask in order.
    public func fromCollection<T: Sendable>(_ values: [T], name: String = "Collection") -> DataStream<T> {
        addSource(CollectionSource(values), name: name)
    }

    /// The tasks and operator chains the job would run, one line per task.
    public func explain() throws -> String {
        try ExecutionPlan(graph: graph, maxParallelism: maxParallelism).summary
    }

    /// Runs the job on this thread's behalf until every source is exhausted and every record
    /// has reached its sink, or until a task fails.
    ///
    /// - Throws: ``OperatorFailure`` naming the operator and subtask whose user function or
    ///   connector threw (every other task is stopped first), or ``JobError`` if the job
    ///   cannot be built.
    @discardableResult
    public func execute(_ jobName: String = "Weir job") throws -> JobExecutionResult {
        let plan = try ExecutionPlan(graph: graph, maxParallelism: maxParallelism)
        let executor = JobExecutor(plan: plan, configuration: runtime, stateBackend: stateBackend)
        let started = ProcessingClock.monotonicNanoseconds()
        try executor.run()
        let seconds = Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9
        return JobExecutionResult(jobName: jobName, durationSeconds: seconds, operators: plan.metrics)
    }

    /// Runs the job without blocking a cooperative thread of Swift concurrency: the job's own
    /// threads do the work while the caller is suspended.
    @discardableResult
    public func execute(_ jobName: String = "Weir job") async throws -> JobExecutionResult {
        let plan = try ExecutionPlan(graph: graph, maxParallelism: maxParallelism)
        let executor = JobExecutor(plan: plan, configuration: runtime, stateBackend: stateBackend)
        let started = ProcessingClock.monotonicNanoseconds()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread {
                do {
                    try executor.run()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
        let seconds = Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9
        return JobExecutionResult(jobName: jobName, durationSeconds: seconds, operators: plan.metrics)
    }
}
