/// The checkpoint coordinator's protocol as a pure state machine: time, acknowledgements and
/// declines go in, actions come out; the caller performs them (telling sources to inject
/// barriers, writing metadata, notifying tasks) and reports back. It reads no clock: every
/// event carries `now`, monotonic milliseconds (intervals, pauses, timeouts, durations), and a
/// trigger also the wall-clock time that the checkpoint's metadata shows.
///
/// One checkpoint is in flight at a time. A checkpoint is triggered when the interval since the
/// last trigger has passed and the minimum pause since the last one ended has passed; it
/// completes when every task acknowledged it and its metadata is durably written (the caller
/// reports ``metadataWritten(_:stateSize:now:)``); it is aborted on timeout, on a decline, or
/// when its metadata cannot be written. More than `tolerableConsecutiveFailures` failures in a
/// row fail the job (``Failure``). Once every source has finished, a final checkpoint is
/// triggered right away; once it completed, the machine is done. The figures of each completed
/// checkpoint (``CheckpointStatistics``) are kept here, computed from the acknowledgements.
@usableFromInline struct CheckpointCoordinatorStateMachine<TaskID: Hashable & Sendable, Acknowledgement: CheckpointAcknowledgement> {
    @usableFromInline struct Timing: Sendable {
        @usableFromInline var intervalMilliseconds: Int64
        @usableFromInline var minPauseMilliseconds: Int64
        @usableFromInline var timeoutMilliseconds: Int64
        @usableFromInline var tolerableConsecutiveFailures: Int
    }

    /// Why the job fails: too many checkpoints failed in a row.
    @usableFromInline struct Failure: Sendable, Equatable, CustomStringConvertible {
        @usableFromInline var checkpointID: Int64
        /// What made the last one fail.
        @usableFromInline var reason: String
        @usableFromInline var consecutiveFailures: Int
        @usableFromInline var tolerated: Int
        @usableFromInline var description: String {
            "checkpoint \(checkpointID) \(reason); \(consecutiveFailures) checkpoints failed in a row, more than the \(tolerated) tolerated"
        }
    }

    @usableFromInline enum Action {
        /// Start checkpoint `id` at the sources (their barriers carry `timestampMilliseconds`).
        case trigger(checkpointID: Int64)
        /// Every task acknowledged: write the metadata durably, then report `metadataWritten`.
        case writeMetadata(checkpointID: Int64, acknowledgements: [TaskID: Acknowledgement], isFinal: Bool)
        /// Tell the tasks that `id` completed (the commit phase).
        case notifyComplete(checkpointID: Int64, isFinal: Bool)
        /// Tell the tasks that `id` was aborted, and discard what was written for it.
        case notifyAborted(checkpointID: Int64, reason: String)
        /// Too many checkpoints failed in a row: fail the job (the machine is then `failed`).
        case failJob(Failure)
    }

    /// The checkpoint in flight.
    @usableFromInline struct InFlight: Sendable {
        @usableFromInline var checkpointID: Int64
        /// Monotonic, for the timeout and the duration.
        @usableFromInline var triggeredAt: Int64
        /// Wall clock, for the metadata.
        @usableFromInline var triggeredAtWallClock: Int64
        @usableFromInline var waitingFor: Set<TaskID>
        @usableFromInline var acknowledgements: [TaskID: Acknowledgement]
        @usableFromInline var isFinal: Bool
    }

    @usableFromInline enum State {
        /// No checkpoint in flight; the next is due after the interval since `lastTriggerAt`
        /// and the pause since `lastEndedAt` (the last completion or abort, if any).
        case waiting(lastTriggerAt: Int64, lastEndedAt: Int64?)
        /// Triggered; waiting for every task's acknowledgement (or a decline, or the timeout).
        case collecting(InFlight)
        /// Every task acknowledged; the caller writes the metadata (no timeout applies now).
        case writingMetadata(InFlight)
        /// The final checkpoint completed: nothing more to trigger.
        case finished
        /// Too many checkpoints failed in a row; the job fails.
        case failed(Failure)
    }

    @usableFromInline let timing: Timing
    @usableFromInline let tasks: Set<TaskID>
    /// The source tasks; once all of them reported the end of their input, the final checkpoint is due.
    @usableFromInline let sources: Set<TaskID>
    @usableFromInline private(set) var state: State
    @usableFromInline private(set) var finishedSources: Set<TaskID> = []
    @usableFromInline private(set) var nextCheckpointID: Int64
    @usableFromInline private(set) var consecutiveFailures = 0
    @usableFromInline private(set) var lastCompletedID: Int64?
    /// The completed checkpoints of this run, oldest first.
    @usableFromInline private(set) var statistics: [CheckpointStatistics] = []

    @usableFromInline init(timing: Timing, tasks: Set<TaskID>, sources: Set<TaskID>, firstCheckpointID: Int64, now: Int64) {
        self.timing = timing
        self.tasks = tasks
        self.sources = sources
        self.nextCheckpointID = firstCheckpointID
        state = .waiting(lastTriggerAt: now, lastEndedAt: nil)
    }

    @usableFromInline var sourcesFinished: Bool { finishedSources == sources }

    /// The checkpoint in flight, if any.
    @usableFromInline var inFlight: InFlight? {
        switch state {
        case .collecting(let inFlight), .writingMetadata(let inFlight): inFlight
        case .waiting, .finished, .failed: nil
        }
    }

    @usableFromInline var pendingCheckpointID: Int64? { inFlight?.checkpointID }

    @usableFromInline var finalCheckpointCompleted: Bool {
        if case .finished = state { return true }
        return false
    }

    /// When `tick` next has something to do, if nothing else happens first (`nil`: nothing will).
    @usableFromInline func nextDeadline() -> Int64? {
        switch state {
        case .collecting(let inFlight): return inFlight.triggeredAt + timing.timeoutMilliseconds
        case .writingMetadata, .finished, .failed: return nil
        case let .waiting(lastTriggerAt, lastEndedAt):
            if sourcesFinished { return lastEndedAt ?? lastTriggerAt }
            var due = lastTriggerAt + timing.intervalMilliseconds
            if let lastEndedAt { due = max(due, lastEndedAt + timing.minPauseMilliseconds) }
            return due
        }
    }

    /// The clock reached `now` (`wallClock` is the same moment on the wall clock): a
    /// checkpoint that is due is triggered, one that took too long is aborted.
    @usableFromInline mutating func tick(now: Int64, wallClock: Int64 = 0) -> [Action] {
        switch state {
        case .collecting(let inFlight):
            guard now - inFlight.triggeredAt >= timing.timeoutMilliseconds else { return [] }
            return fail(inFlight.checkpointID, reason: "timed out after \(timing.timeoutMilliseconds) ms waiting for \(inFlight.waitingFor.count) of \(tasks.count) tasks", now: now)
        case .writingMetadata, .finished, .failed:
            return []
        case let .waiting(lastTriggerAt, lastEndedAt):
            let pauseOver = lastEndedAt.map { now - $0 >= timing.minPauseMilliseconds } ?? true
            let intervalOver = now - lastTriggerAt >= timing.intervalMilliseconds
            guard sourcesFinished || (intervalOver && pauseOver) else { return [] }
            let id = nextCheckpointID
            nextCheckpointID += 1
            state = .collecting(InFlight(checkpointID: id, triggeredAt: now, triggeredAtWallClock: wallClock, waitingFor: tasks, acknowledgements: [:],
                                         isFinal: sourcesFinished))
            return [.trigger(checkpointID: id)]
        }
    }

    /// Source task `task` has read all its input; once every source has, the next checkpoint is
    /// the final one, now. (Repeated reports, and reports of tasks that are not sources, change nothing.)
    @usableFromInline mutating func sourceFinished(_ task: TaskID) {
        guard sources.contains(task) else { return }
        finishedSources.insert(task)
    }

    @usableFromInline mutating func acknowledge(_ checkpointID: Int64, from task: TaskID, _ acknowledgement: Acknowledgement) -> [Action] {
        guard case .collecting(var inFlight) = state, inFlight.checkpointID == checkpointID, inFlight.waitingFor.remove(task) != nil else {
            return []  // late (timed out or aborted), duplicate, or from a task that is not in the job
        }
        inFlight.acknowledgements[task] = acknowledgement
        guard inFlight.waitingFor.isEmpty else {
            state = .collecting(inFlight)
            return []
        }
        state = .writingMetadata(inFlight)
        return [.writeMetadata(checkpointID: checkpointID, acknowledgements: inFlight.acknowledgements, isFinal: inFlight.isFinal)]
    }

    @usableFromInline mutating func decline(_ checkpointID: Int64, from task: TaskID, reason: String, now: Int64) -> [Action] {
        guard case .collecting(let inFlight) = state, inFlight.checkpointID == checkpointID else { return [] }
        return fail(checkpointID, reason: "declined by \(task): \(reason)", now: now)
    }

    /// The metadata of `checkpointID` is durable (`stateSize` bytes of state files): the
    /// checkpoint is complete.
    @usableFromInline mutating func metadataWritten(_ checkpointID: Int64, stateSize: Int = 0, checkpointedSize: Int? = nil, now: Int64) -> [Action] {
        guard case .writingMetadata(let inFlight) = state, inFlight.checkpointID == checkpointID else { return [] }
        consecutiveFailures = 0
        lastCompletedID = checkpointID
        let timings = inFlight.acknowledgements.values.map(\.timings)
        statistics.append(CheckpointStatistics(
            checkpointID: checkpointID, durationMilliseconds: now - inFlight.triggeredAt, stateSize: stateSize, checkpointedSize: checkpointedSize,
            maxTaskPauseMicroseconds: Int64((timings.map(\.pauseNanoseconds).max() ?? 0) / 1_000),
            maxSnapshotMicroseconds: Int64((timings.map(\.snapshotNanoseconds).max() ?? 0) / 1_000),
            maxAlignmentMicroseconds: Int64((timings.map(\.alignmentNanoseconds).max() ?? 0) / 1_000),
            isFinal: inFlight.isFinal))
        state = inFlight.isFinal ? .finished : .waiting(lastTriggerAt: inFlight.triggeredAt, lastEndedAt: now)
        return [.notifyComplete(checkpointID: checkpointID, isFinal: inFlight.isFinal)]
    }

    /// Writing the metadata (or creating the checkpoint's directory at the trigger) failed.
    @usableFromInline mutating func metadataWriteFailed(_ checkpointID: Int64, reason: String, now: Int64) -> [Action] {
        guard pendingCheckpointID == checkpointID else { return [] }
        return fail(checkpointID, reason: "writing its metadata failed: \(reason)", now: now)
    }

    private mutating func fail(_ checkpointID: Int64, reason: String, now: Int64) -> [Action] {
        guard let inFlight, inFlight.checkpointID == checkpointID else { return [] }
        consecutiveFailures += 1
        var actions: [Action] = [.notifyAborted(checkpointID: checkpointID, reason: reason)]
        if consecutiveFailures > timing.tolerableConsecutiveFailures {
            let failure = Failure(checkpointID: checkpointID, reason: reason, consecutiveFailures: consecutiveFailures, tolerated: timing.tolerableConsecutiveFailures)
            state = .failed(failure)
            actions.append(.failJob(failure))
        } else {
            state = .waiting(lastTriggerAt: inFlight.triggeredAt, lastEndedAt: now)
        }
        return actions
    }
}

extension CheckpointCoordinatorStateMachine.Action: Equatable where Acknowledgement: Equatable {}
