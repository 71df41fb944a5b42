import Dispatch
import Foundation

/// Runs an ``ExecutionPlan`` in this process: one thread per task subtask, channels between
/// them, and failure handling — the first error of any task cancels every other task (waking
/// all waits), and once every thread has stopped the run ends with that error.
///
/// With checkpointing, it also runs the checkpoint coordinator and writer, and restores every
/// operator from `restore` if given.
@usableFromInline final class JobExecutor: @unchecked Sendable {
    /// Checkpointing of one run.
    @usableFromInline struct Checkpointing {
        @usableFromInline let configuration: CheckpointConfiguration
        @usableFromInline let store: CheckpointStore
        @usableFromInline let restore: CheckpointStore.Completed?
        @usableFromInline let jobName: String
        @usableFromInline let warn: @Sendable (String) -> Void
    }

    @usableFromInline let plan: ExecutionPlan
    @usableFromInline let configuration: RuntimeConfiguration
    @usableFromInline let stateBackend: any StateBackend
    @usableFromInline let checkpointing: Checkpointing?
    @usableFromInline let warn: @Sendable (String) -> Void
    @usableFromInline let control = JobControl()
    @usableFromInline let lock = NSLock()
    @usableFromInline var firstError: (any Error)?
    /// Input gates of head nodes, by node and subtask.
    @usableFromInline var gates: [Int: [ErasedObject]] = [:]
    @usableFromInline var cancelGates: [@Sendable () -> Void] = []
    @usableFromInline var mailboxes: [TaskID: TaskMailbox] = [:]
    @usableFromInline var coordinator: CheckpointCoordinator?
    @usableFromInline var writer: CheckpointWriter?
    /// Restored state files by operator id.
    @usableFromInline var restoredStates: [String: [OperatorStateFile]] = [:]
    /// Given to connectors (a transactional sink names its transactions after the job).
    @usableFromInline let jobName: String

    @usableFromInline init(plan: ExecutionPlan, configuration: RuntimeConfiguration, stateBackend: any StateBackend, checkpointing: Checkpointing? = nil,
         jobName: String = "Weir job", warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.warn = warn
        self.jobName = jobName
        self.plan = plan
        self.configuration = configuration
        self.stateBackend = stateBackend
        self.checkpointing = checkpointing
    }

    /// The checkpoints this run completed.
    @usableFromInline var completedCheckpoints: [CheckpointStatistics] { coordinator?.completed ?? [] }

    /// Identifies an operator's state in checkpoints: its position in the job and its name.
    @usableFromInline static func operatorID(of node: StreamNode) -> String { "\(node.id)-\(node.name)" }

    /// Runs the job to its end; throws the error that failed it.
    @usableFromInline func run() throws {
        if let restore = checkpointing?.restore { try loadRestoredStates(restore) }
        for (node, channels) in plan.channelCounts {
            guard case .transformation(let transformation) = plan.nodes[node].kind else { continue }
            gates[node] = (0..<plan.nodes[node].parallelism).map { _ in
                transformation.makeGate(channels, configuration.channelCapacity, plan.metrics[node])
            }
        }
        for gate in gates.values.joined() {
            let cancel = (gate.object as! any CancellableGate)
            cancelGates.append { cancel.cancel() }
        }
        var tasks: [(head: Int, subtask: Int, id: TaskID)] = []
        for head in plan.heads {
            for subtask in 0..<plan.nodes[head].parallelism {
                tasks.append((head, subtask, TaskID(head: head, subtask: subtask, name: plan.nodes[head].name)))
            }
        }
        if let checkpointing {
            try startCoordinator(checkpointing, tasks: tasks)
        }
        let group = DispatchGroup()
        for (head, subtask, id) in tasks {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                do {
                    try runTask(head: head, subtask: subtask, id: id)
                } catch {
                    fail(error, head: head, subtask: subtask)
                }
            }
            thread.name = "weir: \(plan.nodes[head].name) \(subtask + 1)/\(plan.nodes[head].parallelism)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        coordinator?.stop()
        lock.lock()
        defer { lock.unlock() }
        if let firstError { throw firstError }
    }

    /// Stops the run with a final checkpoint: sources end where they are, the final
    /// checkpoint commits everything up to there, `run()` returns normally.
    @usableFromInline func stopWithFinalCheckpoint() {
        control.stop()
    }

    /// Stops the run from outside: `run()` throws ``JobError/cancelled`` (unless a task failed first).
    @usableFromInline func cancelFromOutside() {
        fail(JobError.cancelled)
    }

    /// Cancels every task (they throw ``TaskCancelled`` and stop).
    @usableFromInline func cancel() {
        control.cancel()
        for cancel in cancelGates { cancel() }
        for mailbox in mailboxes.values { mailbox.cancel() }
    }

    /// Fails the run with `error` (from outside any task, e.g. the checkpoint coordinator).
    @usableFromInline func fail(_ error: any Error) {
        lock.lock()
        if firstError == nil { firstError = error }
        lock.unlock()
        cancel()
    }

    @usableFromInline func fail(_ error: any Error, head: Int, subtask: Int) {
        let attributed = location(of: head, subtask: subtask).attribute(error)
        lock.lock()
        if firstError == nil && !(attributed is TaskCancelled) { firstError = attributed }
        lock.unlock()
        cancel()
    }

    @usableFromInline func location(of node: Int, subtask: Int) -> OperatorLocation {
        OperatorLocation(operatorName: plan.nodes[node].name, subtask: subtask, parallelism: plan.nodes[node].parallelism)
    }

    // MARK: - Checkpointing

    @usableFromInline func startCoordinator(_ checkpointing: Checkpointing, tasks: [(head: Int, subtask: Int, id: TaskID)]) throws {
        for (head, subtask, id) in tasks {
            let mailbox = TaskMailbox()
            if let gate = gates[head]?[subtask] {
                let interrupt = gate.object as! any CancellableGate
                mailbox.wake = { interrupt.interrupt() }
            }
            mailboxes[id] = mailbox
        }
        let sources = Set(tasks.filter { if case .source = plan.nodes[$0.head].kind { return true } else { return false } }.map(\.id))
        let operators = plan.nodes.map { CheckpointMetadata.Operator(operatorID: Self.operatorID(of: $0), parallelism: $0.parallelism) }
        let coordinator = CheckpointCoordinator(
            configuration: checkpointing.configuration, store: checkpointing.store, jobName: checkpointing.jobName,
            maxParallelism: plan.maxParallelism, operators: operators, mailboxes: mailboxes, sources: sources,
            firstCheckpointID: (checkpointing.restore?.metadata.checkpointID ?? 0) + 1,
            failJob: { [weak self] error in self?.fail(error) }, warn: checkpointing.warn)
        self.coordinator = coordinator
        self.writer = CheckpointWriter(store: checkpointing.store, coordinator: coordinator)
        coordinator.start()
    }

    /// Reads and verifies every state file of the checkpoint, and checks that it fits this job.
    @usableFromInline func loadRestoredStates(_ restore: CheckpointStore.Completed) throws {
        let metadata = restore.metadata
        guard metadata.maxParallelism == plan.maxParallelism else {
            throw CheckpointError.incompatible("checkpoint \(metadata.checkpointID) was taken with max parallelism \(metadata.maxParallelism), the job has \(plan.maxParallelism); key groups cannot be mapped")
        }
        let known = Set(plan.nodes.map(Self.operatorID(of:)))
        for file in metadata.files where !known.contains(file.operatorID) {
            throw CheckpointError.incompatible("checkpoint \(metadata.checkpointID) has state of operator '\(file.operatorID)', which this job does not have (operators are identified by position and name)")
        }
        for node in plan.nodes {
            let id = Self.operatorID(of: node)
            restoredStates[id] = try checkpointing!.store.readStates(of: id, in: restore)
        }
    }

    /// The share of a restored checkpoint that `node`'s `subtask` gets: the key groups it owns
    /// now, and its own list-state entries at the same parallelism (every `parallelism`-th otherwise).
    @usableFromInline func restoredState(of node: StreamNode, subtask: Int) -> RestoredOperatorState? {
        guard checkpointing?.restore != nil else { return nil }
        let files = (restoredStates[Self.operatorID(of: node)] ?? []).sorted { $0.subtask < $1.subtask }
        let range = KeyGroupRange.forSubtask(subtask, parallelism: node.parallelism, maxParallelism: plan.maxParallelism)
        var keyed: [String: [KeyGroupBlob]] = [:]
        for file in files {
            for (name, blobs) in file.keyed {
                keyed[name, default: []] += blobs.filter { range.contains($0.keyGroup) }
            }
        }
        let all = files.flatMap(\.listState)
        let metadata = checkpointing!.restore!.metadata
        let listState: [[UInt8]]
        let earlierParallelism = metadata.operators.first(where: { $0.operatorID == Self.operatorID(of: node) })?.parallelism
        if earlierParallelism == node.parallelism {
            // Same parallelism: every subtask gets back its own entries (and with them, for a
            // source, the order in which it read its splits).
            listState = files.filter { $0.subtask == subtask }.flatMap(\.listState)
        } else {
            listState = all.enumerated().filter { $0.offset % node.parallelism == subtask }.map(\.element)
        }
        var restored = RestoredOperatorState(checkpointID: metadata.checkpointID, keyed: keyed, listState: listState, allListState: all, parallelism: earlierParallelism)
        restored.native = files.compactMap(\.native).filter { $0.keyGroups.overlaps(range) }
        restored.sharedFiles = SharedStateFiles(storage: checkpointing!.store.storage)
        return restored
    }

    // MARK: - One task

    @usableFromInline func runTask(head: Int, subtask: Int, id: TaskID) throws {
        var operators: [(any OperatorLifecycle, OperatorContext)] = []
        defer { for (op, _) in operators.reversed() { op.close() } }
        let node = plan.nodes[head]
        let task = TaskEnvironment(location: location(of: head, subtask: subtask), configuration: configuration, control: control, metrics: plan.metrics[head])
        var taskCheckpointing: TaskCheckpointing?
        if let checkpointing, let coordinator, let writer, let mailbox = mailboxes[id] {
            taskCheckpointing = TaskCheckpointing(task: id, mailbox: mailbox, coordinator: coordinator, writer: writer, mode: checkpointing.configuration.mode)
        }
        switch node.kind {
        case .source(let run, _):
            let output = try buildOutput(of: head, tag: nil, subtask: subtask, operators: &operators)
            taskCheckpointing?.operators = operators
            try open(operators)
            let restored = restoredState(of: node, subtask: subtask)
            try run(task, output, SourceCheckpointing(checkpointing: taskCheckpointing, restoredSplits: restored.map { $0.listState ?? [] },
                                                      operatorID: Self.operatorID(of: node), maxParallelism: plan.maxParallelism))
        case .transformation(let transformation):
            let chainHead = try buildChained(head, subtask: subtask, operators: &operators)
            taskCheckpointing?.operators = operators
            try open(operators)
            try transformation.runInputTask(task, gates[head]![subtask], chainHead, taskCheckpointing)
        }
    }

    @usableFromInline func open(_ operators: [(any OperatorLifecycle, OperatorContext)]) throws {
        for (op, context) in operators {
            do { try op.open(context) } catch { throw context.location.attribute(error) }
        }
    }

    /// The output (an `Output<T>`) that feeds every consumer of `node`'s output `tag` in
    /// `subtask`: chained operators directly, other tasks through channels.
    @usableFromInline func buildOutput(of node: Int, tag: String?, subtask: Int, operators: inout [(any OperatorLifecycle, OperatorContext)]) throws -> ErasedObject {
        let edges = plan.outgoing[node].filter { $0.edge.tag == tag }
        guard let first = edges.first else { return plan.nodes[node].outputs.discarding() }
        var outputs: [ErasedObject] = []
        for outgoing in edges {
            if outgoing.chained {
                outputs.append(try buildChained(outgoing.consumer, subtask: subtask, operators: &operators))
            } else {
                let consumerGates = gates[outgoing.consumer]!
                let targets: [(gate: ErasedObject, channel: Int)]
                if outgoing.partitioning == .forward {
                    targets = [(consumerGates[subtask], outgoing.channelOffset)]
                } else {
                    targets = consumerGates.map { ($0, outgoing.channelOffset + subtask) }
                }
                outputs.append(outgoing.edge.makeNetworkOutput(outgoing.partitioning, targets, subtask, configuration,
                                                             KeyGroupRouting(maxParallelism: plan.maxParallelism, required: plan.requiredKeyGroups, consumer: plan.nodes[outgoing.consumer].name)))
            }
        }
        return outputs.count == 1 ? outputs[0] : first.edge.outputs.fanOut(outputs)
    }

    /// Builds `node`'s operator with everything downstream of it in the chain, and returns the
    /// output that feeds it.
    @usableFromInline func buildChained(_ node: Int, subtask: Int, operators: inout [(any OperatorLifecycle, OperatorContext)]) throws -> ErasedObject {
        guard case .transformation(let transformation) = plan.nodes[node].kind else { preconditionFailure("a source cannot be chained") }
        var main = try buildOutput(of: node, tag: nil, subtask: subtask, operators: &operators)
        var sideOutputs: [String: AnyObject] = [:]
        for tag in Set(plan.outgoing[node].compactMap(\.edge.tag)) {
            sideOutputs[tag] = try buildOutput(of: node, tag: tag, subtask: subtask, operators: &operators).object
        }
        main = plan.nodes[node].outputs.includingSideOutputs(main, sideOutputs.values.map { ErasedObject(object: $0) })
        let location = location(of: node, subtask: subtask)
        let (input, op) = transformation.makeOperator(main, location)
        let context = OperatorContext(location: location, operatorID: Self.operatorID(of: plan.nodes[node]), maxParallelism: plan.maxParallelism,
                                      stateBackend: stateBackend, metrics: plan.metrics[node], sideOutputs: sideOutputs,
                                      restored: restoredState(of: plan.nodes[node], subtask: subtask),
                                      checkpointInterval: checkpointing?.configuration.interval, jobName: jobName, warn: warn)
        context.retainedCheckpoints = checkpointing?.configuration.retainedCheckpoints ?? 2
        operators.append((op, context))
        return input
    }
}

/// Lets the executor cancel or interrupt a gate without knowing its value type.
@usableFromInline protocol CancellableGate: AnyObject, Sendable {
    func cancel()
    func interrupt()
}

extension InputGate: CancellableGate {}
