/// The checkpoint coordinator's protocol as a pure state machine: time, acknowledgements and
/// declines go in, actions come out; the caller performs them (telling sources to inject
/// barriers, writing metadata, notifying tasks) and reports back.
///
/// One checkpoint is in flight at a time. A checkpoint is triggered when the interval since the
/// last trigger has passed and the minimum pause since the last one ended has passed; it
/// completes when every task acknowledged it and its metadata is durably written (the caller
/// reports ``metadataWritten(_:now:)``); it is aborted on timeout, on a decline, or when its
/// metadata cannot be written. More than `tolerableConsecutiveFailures` failures in a row fail
/// the job. Once every source has finished, a final checkpoint is triggered right away.
@usableFromInline struct CheckpointCoordinatorStateMachine<TaskID: Hashable & Sendable, Acknowledgement: Sendable> {
    @usableFromInline struct Timing: Sendable {
        @usableFromInline var intervalMilliseconds: Int64
        @usableFromInline var minPauseMilliseconds: Int64
        @usableFromInline var timeoutMilliseconds: Int64
        @usableFromInline var tolerableConsecutiveFailures: Int
    }

    @usableFromInline enum Action {
        /// Start checkpoint `id` at the sources.
        case trigger(checkpointID: Int64)
        /// Every task acknowledged: write the metadata durably, then report `metadataWritten`.
        case writeMetadata(checkpointID: Int64, acknowledgements: [TaskID: Acknowledgement], isFinal: Bool)
        /// Tell the tasks that `id` completed (the commit phase).
        case notifyComplete(checkpointID: Int64, isFinal: Bool)
        /// Tell the tasks that `id` was aborted, and discard what was written for it.
        case notifyAborted(checkpointID: Int64, reason: String)
        /// Too many checkpoints failed in a row.
        case failJob(reason: String)
    }

    @usableFromInline struct Pending {
        @usableFromInline var checkpointID: Int64
        @usableFromInline var triggeredAt: Int64
        @usableFromInline var waitingFor: Set<TaskID>
        @usableFromInline var acknowledgements: [TaskID: Acknowledgement]
        @usableFromInline var isFinal: Bool
        @usableFromInline var writingMetadata = false
    }

    @usableFromInline let timing: Timing
    @usableFromInline let tasks: Set<TaskID>
    /// The source tasks; once all of them reported the end of their input, the final checkpoint is due.
    @usableFromInline let sources: Set<TaskID>
    @usableFromInline var finishedSources: Set<TaskID> = []
    @usableFromInline var pending: Pending?
    @usableFromInline var lastTriggerAt: Int64
    @usableFromInline var lastEndedAt: Int64?
    @usableFromInline var consecutiveFailures = 0
    @usableFromInline var sourcesFinished = false
    @usableFromInline var nextCheckpointID: Int64
    @usableFromInline var lastCompletedID: Int64?
    @usableFromInline var finalCheckpointCompleted = false

    @usableFromInline init(timing: Timing, tasks: Set<TaskID>, sources: Set<TaskID>, firstCheckpointID: Int64, now: Int64) {
        self.timing = timing
        self.tasks = tasks
        self.sources = sources
        self.nextCheckpointID = firstCheckpointID
        self.lastTriggerAt = now
    }

    @usableFromInline var pendingCheckpointID: Int64? { pending?.checkpointID }

    /// When `tick` next has something to do, if nothing else happens first.
    @usableFromInline func nextDeadline() -> Int64 {
        if let pending { return pending.triggeredAt + timing.timeoutMilliseconds }
        if sourcesFinished { return lastEndedAt ?? lastTriggerAt }
        var due = lastTriggerAt + timing.intervalMilliseconds
        if let lastEndedAt { due = max(due, lastEndedAt + timing.minPauseMilliseconds) }
        return due
    }

    @usableFromInline mutating func tick(now: Int64) -> [Action] {
        if let current = pending {
            guard !current.writingMetadata, now - current.triggeredAt >= timing.timeoutMilliseconds else { return [] }
            return fail(current.checkpointID, reason: "timed out after \(timing.timeoutMilliseconds) ms waiting for \(current.waitingFor.count) of \(tasks.count) tasks", now: now)
        }
        guard !finalCheckpointCompleted else { return [] }
        let pauseOver = lastEndedAt.map { now - $0 >= timing.minPauseMilliseconds } ?? true
        let intervalOver = now - lastTriggerAt >= timing.intervalMilliseconds
        guard sourcesFinished || (intervalOver && pauseOver) else { return [] }
        let id = nextCheckpointID
        nextCheckpointID += 1
        lastTriggerAt = now
        pending = Pending(checkpointID: id, triggeredAt: now, waitingFor: tasks, acknowledgements: [:], isFinal: sourcesFinished)
        return [.trigger(checkpointID: id)]
    }

    /// Source task `task` has read all its input; once every source has, the next checkpoint is
    /// the final one, now. (Repeated reports, and reports of tasks that are not sources, change nothing.)
    @usableFromInline mutating func sourceFinished(_ task: TaskID) {
        guard sources.contains(task) else { return }
        finishedSources.insert(task)
        if finishedSources == sources { sourcesFinished = true }
    }

    @usableFromInline mutating func acknowledge(_ checkpointID: Int64, from task: TaskID, _ acknowledgement: Acknowledgement) -> [Action] {
        guard var current = pending, current.checkpointID == checkpointID, current.waitingFor.remove(task) != nil else {
            return []  // late (timed out or aborted) or duplicate
        }
        current.acknowledgements[task] = acknowledgement
        if current.waitingFor.isEmpty {
            current.writingMetadata = true
            pending = current
            return [.writeMetadata(checkpointID: checkpointID, acknowledgements: current.acknowledgements, isFinal: current.isFinal)]
        }
        pending = current
        return []
    }

    @usableFromInline mutating func decline(_ checkpointID: Int64, from task: TaskID, reason: String, now: Int64) -> [Action] {
        guard let current = pending, current.checkpointID == checkpointID else { return [] }
        return fail(checkpointID, reason: "declined by \(task): \(reason)", now: now)
    }

    @usableFromInline mutating func metadataWritten(_ checkpointID: Int64, now: Int64) -> [Action] {
        guard let current = pending, current.checkpointID == checkpointID, current.writingMetadata else { return [] }
        pending = nil
        lastEndedAt = now
        consecutiveFailures = 0
        lastCompletedID = checkpointID
        if current.isFinal { finalCheckpointCompleted = true }
        return [.notifyComplete(checkpointID: checkpointID, isFinal: current.isFinal)]
    }

    @usableFromInline mutating func metadataWriteFailed(_ checkpointID: Int64, reason: String, now: Int64) -> [Action] {
        guard let current = pending, current.checkpointID == checkpointID else { return [] }
        return fail(checkpointID, reason: "writing its metadata failed: \(reason)", now: now)
    }

    @usableFromInline mutating func fail(_ checkpointID: Int64, reason: String, now: Int64) -> [Action] {
        pending = nil
        lastEndedAt = now
        consecutiveFailures += 1
        var actions: [Action] = [.notifyAborted(checkpointID: checkpointID, reason: reason)]
        if consecutiveFailures > timing.tolerableConsecutiveFailures {
            actions.append(.failJob(reason: "checkpoint \(checkpointID) \(reason); \(consecutiveFailures) checkpoints failed in a row, more than the \(timing.tolerableConsecutiveFailures) tolerated"))
        }
        return actions
    }
}

extension CheckpointCoordinatorStateMachine.Action: Equatable where Acknowledgement: Equatable {}
