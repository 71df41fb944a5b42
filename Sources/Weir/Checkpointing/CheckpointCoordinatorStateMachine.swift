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
struct CheckpointCoordinatorStateMachine<TaskID: Hashable & Sendable, Acknowledgement: Sendable> {
    struct Timing: Sendable {
        var intervalMilliseconds: Int64
        var minPauseMilliseconds: Int64
        var timeoutMilliseconds: Int64
        var tolerableConsecutiveFailures: Int
    }

    enum Action {
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

    private struct Pending {
        var checkpointID: Int64
        var triggeredAt: Int64
        var waitingFor: Set<TaskID>
        var acknowledgements: [TaskID: Acknowledgement]
        var isFinal: Bool
        var writingMetadata = false
    }

    let timing: Timing
    let tasks: Set<TaskID>
    private var pending: Pending?
    private var lastTriggerAt: Int64
    private var lastEndedAt: Int64?
    private var consecutiveFailures = 0
    private var sourcesFinished = false
    private(set) var nextCheckpointID: Int64
    private(set) var lastCompletedID: Int64?
    private(set) var finalCheckpointCompleted = false

    init(timing: Timing, tasks: Set<TaskID>, firstCheckpointID: Int64, now: Int64) {
        self.timing = timing
        self.tasks = tasks
        self.nextCheckpointID = firstCheckpointID
        self.lastTriggerAt = now
    }

    var pendingCheckpointID: Int64? { pending?.checkpointID }

    /// When `tick` next has something to do, if nothing else happens first.
    func nextDeadline() -> Int64 {
        if let pending { return pending.triggeredAt + timing.timeoutMilliseconds }
        if sourcesFinished { return lastEndedAt ?? lastTriggerAt }
        var due = lastTriggerAt + timing.intervalMilliseconds
        if let lastEndedAt { due = max(due, lastEndedAt + timing.minPauseMilliseconds) }
        return due
    }

    mutating func tick(now: Int64) -> [Action] {
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

    /// Every source has read all its input: the next checkpoint is the final one, now.
    mutating func allSourcesFinished() { sourcesFinished = true }

    mutating func acknowledge(_ checkpointID: Int64, from task: TaskID, _ acknowledgement: Acknowledgement) -> [Action] {
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

    mutating func decline(_ checkpointID: Int64, from task: TaskID, reason: String, now: Int64) -> [Action] {
        guard let current = pending, current.checkpointID == checkpointID else { return [] }
        return fail(checkpointID, reason: "declined by \(task): \(reason)", now: now)
    }

    mutating func metadataWritten(_ checkpointID: Int64, now: Int64) -> [Action] {
        guard let current = pending, current.checkpointID == checkpointID, current.writingMetadata else { return [] }
        pending = nil
        lastEndedAt = now
        consecutiveFailures = 0
        lastCompletedID = checkpointID
        if current.isFinal { finalCheckpointCompleted = true }
        return [.notifyComplete(checkpointID: checkpointID, isFinal: current.isFinal)]
    }

    mutating func metadataWriteFailed(_ checkpointID: Int64, reason: String, now: Int64) -> [Action] {
        guard let current = pending, current.checkpointID == checkpointID else { return [] }
        return fail(checkpointID, reason: "writing its metadata failed: \(reason)", now: now)
    }

    private mutating func fail(_ checkpointID: Int64, reason: String, now: Int64) -> [Action] {
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
