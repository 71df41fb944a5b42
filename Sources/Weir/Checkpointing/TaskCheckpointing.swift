/// A task's part in checkpointing: snapshot the operators of its chain at a barrier, forward the
/// barrier, hand the copies to the writer; pass the coordinator's notifications to the operators.
@usableFromInline final class TaskCheckpointing {
    @usableFromInline let task: TaskID
    @usableFromInline let mailbox: TaskMailbox
    @usableFromInline let coordinator: CheckpointCoordinator
    @usableFromInline let writer: CheckpointWriter
    @usableFromInline let mode: CheckpointingMode
    /// The operators of the task's chain, set when the chain is built.
    @usableFromInline var operators: [(any OperatorLifecycle, OperatorContext)] = []

    @usableFromInline init(task: TaskID, mailbox: TaskMailbox, coordinator: CheckpointCoordinator, writer: CheckpointWriter, mode: CheckpointingMode) {
        self.task = task
        self.mailbox = mailbox
        self.coordinator = coordinator
        self.writer = writer
        self.mode = mode
    }

    /// Takes checkpoint `barrier` of this task. `extra` adds state that no operator holds (a
    /// source's position); `forwardBarrier` sends the barrier on through the chain.
    @usableFromInline func checkpoint(_ barrier: CheckpointBarrier, alignmentNanoseconds: UInt64 = 0, extra: () throws -> OperatorSnapshot?, forwardBarrier: () throws -> Void) throws {
        let started = ProcessingClock.monotonicNanoseconds()
        var snapshots: [OperatorSnapshot] = []
        var failure: (any Error)?
        do {
            for (op, context) in operators { snapshots.append(try context.snapshot(of: op, checkpointID: barrier.checkpointID)) }
            if let extra = try extra() { snapshots.append(extra) }
        } catch {
            failure = error
        }
        let copied = ProcessingClock.monotonicNanoseconds()
        // The barrier goes on even if this task cannot take part: downstream tasks would
        // otherwise wait for it until a later checkpoint.
        try forwardBarrier()
        if let failure {
            coordinator.decline(barrier.checkpointID, from: task, reason: "\(failure)")
            if let fatal = failure as? TaskFailingSnapshotError { throw fatal.underlying }
            return
        }
        let pause = ProcessingClock.monotonicNanoseconds() - started
        writer.write(snapshots, checkpointID: barrier.checkpointID, task: task,
                     timings: .init(pauseNanoseconds: pause, snapshotNanoseconds: copied - started, alignmentNanoseconds: alignmentNanoseconds))
    }

    /// Handles what the coordinator posted. Triggers (sources only) go to `trigger`.
    /// `complete` tells the task's source, if it has one, of a completed checkpoint. Returns
    /// whether the final checkpoint's completion was among the mails (for ``EndOfTask``).
    @usableFromInline @discardableResult
    func handle(_ mails: [TaskMailbox.Mail], trigger: (CheckpointBarrier) throws -> Void, complete: (Int64) throws -> Void = { _ in }) throws -> Bool {
        var finalCompleted = false
        for mail in mails {
            switch mail {
            case .trigger(let barrier):
                try trigger(barrier)
            case let .complete(checkpointID, isFinal):
                for (op, context) in operators {
                    do { try op.notifyCheckpointComplete(checkpointID) } catch { throw context.location.attribute(error) }
                }
                try complete(checkpointID)
                if isFinal { finalCompleted = true }
            case .aborted(let checkpointID):
                for (op, _) in operators { op.notifyCheckpointAborted(checkpointID) }
            }
        }
        return finalCompleted
    }
}
