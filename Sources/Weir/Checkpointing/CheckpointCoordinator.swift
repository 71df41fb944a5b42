import Foundation

/// Drives checkpoints for one run of a job: a thread that feeds time, acknowledgements and
/// declines into ``CheckpointCoordinatorStateMachine`` and carries out its actions — telling
/// source tasks to inject barriers, writing metadata, notifying every task.
///
/// The machine's time is `clock`, monotonic milliseconds (intervals, pauses, timeouts and
/// durations); the wall clock only stamps what users read (a checkpoint's trigger time, the
/// barrier's timestamp).
@usableFromInline final class CheckpointCoordinator: @unchecked Sendable {
    /// What a task reports for a checkpoint: its state files and how long its thread paused.
    @usableFromInline struct Acknowledgement: CheckpointAcknowledgement {
        @usableFromInline var files: [CheckpointMetadata.StateFile]
        /// The shared files its state files reference (incremental checkpoints).
        @usableFromInline var sharedFiles: [SharedStateFile] = []
        @usableFromInline var timings: CheckpointTaskTimings
    }

    @usableFromInline enum Event {
        case acknowledge(Int64, TaskID, Acknowledgement)
        case decline(Int64, TaskID, String)
        case sourceFinished(TaskID)
    }

    @usableFromInline let configuration: CheckpointConfiguration
    @usableFromInline let store: CheckpointStore
    @usableFromInline let jobName: String
    @usableFromInline let maxParallelism: Int
    @usableFromInline let operators: [CheckpointMetadata.Operator]
    @usableFromInline let mailboxes: [TaskID: TaskMailbox]
    @usableFromInline let sources: Set<TaskID>
    @usableFromInline let failJob: @Sendable (any Error) -> Void
    @usableFromInline let warn: @Sendable (String) -> Void
    /// Monotonic milliseconds: the machine's time.
    @usableFromInline let clock: @Sendable () -> Int64

    @usableFromInline let condition = NSCondition()
    @usableFromInline var events: [Event] = []
    @usableFromInline var stopped = false
    @usableFromInline var machine: CheckpointCoordinatorStateMachine<TaskID, Acknowledgement>
    @usableFromInline var thread: JoinableThread?

    @usableFromInline init(configuration: CheckpointConfiguration, store: CheckpointStore, jobName: String, maxParallelism: Int,
         operators: [CheckpointMetadata.Operator], mailboxes: [TaskID: TaskMailbox], sources: Set<TaskID>, firstCheckpointID: Int64,
         failJob: @escaping @Sendable (any Error) -> Void, warn: @escaping @Sendable (String) -> Void,
         clock: @escaping @Sendable () -> Int64 = { ProcessingClock.monotonicMilliseconds() }) {
        self.configuration = configuration
        self.store = store
        self.jobName = jobName
        self.maxParallelism = maxParallelism
        self.operators = operators
        self.mailboxes = mailboxes
        self.sources = sources
        self.failJob = failJob
        self.warn = warn
        self.clock = clock
        let timing = CheckpointCoordinatorStateMachine<TaskID, Acknowledgement>.Timing(
            intervalMilliseconds: max(1, configuration.interval.wholeMilliseconds),
            minPauseMilliseconds: configuration.minPauseBetweenCheckpoints.wholeMilliseconds,
            timeoutMilliseconds: max(1, configuration.timeout.wholeMilliseconds),
            tolerableConsecutiveFailures: configuration.tolerableConsecutiveFailures)
        machine = CheckpointCoordinatorStateMachine(timing: timing, tasks: Set(mailboxes.keys), sources: sources, firstCheckpointID: firstCheckpointID,
                                                    now: clock())
    }

    // MARK: - Reports from tasks (any thread)

    @usableFromInline func acknowledge(_ checkpointID: Int64, from task: TaskID, _ acknowledgement: Acknowledgement) {
        enqueue(.acknowledge(checkpointID, task, acknowledgement))
    }

    @usableFromInline func decline(_ checkpointID: Int64, from task: TaskID, reason: String) {
        enqueue(.decline(checkpointID, task, reason))
    }

    @usableFromInline func sourceFinished(_ task: TaskID) { enqueue(.sourceFinished(task)) }

    @usableFromInline func enqueue(_ event: Event) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    /// The checkpoints completed so far.
    @usableFromInline var completed: [CheckpointStatistics] {
        locked { $0.statistics }
    }

    // MARK: - The coordinator thread

    @usableFromInline func start() {
        thread = JoinableThread(name: "weir: checkpoint coordinator") { [self] in run() }
    }

    /// Stops the coordinator thread and waits for it; an unfinished checkpoint is discarded.
    @usableFromInline func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        thread?.join()
    }

    @usableFromInline typealias Action = CheckpointCoordinatorStateMachine<TaskID, Acknowledgement>.Action

    @usableFromInline func run() {
        while let actions = nextActions() { perform(actions) }
        // The run ended (or failed) during a checkpoint: it will never complete.
        if let unfinished = locked({ $0.pendingCheckpointID }) { store.storage.abortCheckpoint(unfinished) }
    }

    /// Waits for reports or the next deadline, then feeds them to the state machine; `nil`
    /// once stopped. (Kept apart from `run`: the Swift 6.3.1 optimizer crashed on one loop
    /// doing both.)
    @usableFromInline func nextActions() -> [Action]? {
        condition.lock()
        defer { condition.unlock() }
        if events.isEmpty && !stopped {
            let now = clock()
            let deadline = min(machine.nextDeadline() ?? .max, now + 100)
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(max(0, deadline - now)) / 1_000))
        }
        if stopped { return nil }
        let pending = events
        events.removeAll()
        let now = clock()
        var actions: [Action] = []
        for event in pending {
            switch event {
            case let .acknowledge(id, task, acknowledgement): actions += machine.acknowledge(id, from: task, acknowledgement)
            case let .decline(id, task, reason): actions += machine.decline(id, from: task, reason: reason, now: now)
            case .sourceFinished(let task): machine.sourceFinished(task)
            }
        }
        return actions + machine.tick(now: now, wallClock: ProcessingClock.nowMilliseconds())
    }

    @usableFromInline func perform(_ actions: [Action]) {
        var queue = actions
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .trigger(let id):
                do {
                    try store.storage.beginCheckpoint(id)
                } catch {
                    queue += locked { $0.metadataWriteFailed(id, reason: "\(error)", now: clock()) }
                    continue
                }
                let wallClock = locked { $0.inFlight?.triggeredAtWallClock } ?? ProcessingClock.nowMilliseconds()
                for task in sources { mailboxes[task]?.post(.trigger(CheckpointBarrier(checkpointID: id, timestampMilliseconds: wallClock))) }
            case let .writeMetadata(id, acknowledgements, isFinal):
                let now = clock()
                let started = locked { $0.inFlight.map { ($0.triggeredAtWallClock, $0.triggeredAt) } } ?? (ProcessingClock.nowMilliseconds(), now)
                var metadata = CheckpointMetadata(
                    checkpointID: id, jobName: jobName, triggeredAt: started.0, durationMilliseconds: now - started.1,
                    maxParallelism: maxParallelism, isFinal: isFinal, operators: operators,
                    files: acknowledgements.values.flatMap(\.files).sorted { ($0.operatorID, $0.subtask) < ($1.operatorID, $1.subtask) })
                let shared = acknowledgements.values.flatMap(\.sharedFiles)
                metadata.sharedFiles = shared.isEmpty ? nil : shared.sorted { $0.name < $1.name }
                do {
                    try store.complete(metadata)
                    let done = clock()
                    queue += locked { $0.metadataWritten(id, stateSize: metadata.stateSize, checkpointedSize: metadata.checkpointedSize, now: done) }
                } catch let error as CheckpointError {
                    if case .superseded = error {
                        failJob(error)
                        return
                    }
                    queue += locked { $0.metadataWriteFailed(id, reason: "\(error)", now: clock()) }
                } catch {
                    queue += locked { $0.metadataWriteFailed(id, reason: "\(error)", now: clock()) }
                }
            case let .notifyComplete(id, isFinal):
                try? store.retain(configuration.retainedCheckpoints)
                // Other tasks first: a source that learns of the final checkpoint ends its
                // output, and a downstream task then finds the notification waiting when its
                // input ends (EndOfTask waits for it either way; this order only saves the wait).
                for (task, mailbox) in mailboxes where !sources.contains(task) { mailbox.post(.complete(checkpointID: id, isFinal: isFinal)) }
                for task in sources { mailboxes[task]?.post(.complete(checkpointID: id, isFinal: isFinal)) }
            case let .notifyAborted(id, reason):
                warn("checkpoint \(id) aborted: \(reason)")
                store.storage.abortCheckpoint(id)
                for mailbox in mailboxes.values { mailbox.post(.aborted(checkpointID: id)) }
            case .failJob(let failure):
                failJob(CheckpointError.tooManyFailedCheckpoints(failure.description))
            }
        }
    }

    @usableFromInline func locked<R>(_ body: (inout CheckpointCoordinatorStateMachine<TaskID, Acknowledgement>) -> R) -> R {
        condition.lock()
        defer { condition.unlock() }
        return body(&machine)
    }
}
