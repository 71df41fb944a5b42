import Foundation

/// What every task loop does besides moving its input — the part ``SourceTaskLoop`` and
/// ``InputTaskLoop`` share: the coordinator's mail between batches, the processing-time tick,
/// and the end-of-task handshake (``EndOfTask``). The loops differ only in where input comes
/// from (a reader's poll, the input gate) and what a barrier is to them (a trigger to inject
/// one, an alignment through ``BarrierAligner``).
@usableFromInline struct TaskLoop {
    @usableFromInline let task: TaskEnvironment
    @usableFromInline let checkpointing: TaskCheckpointing?
    /// The processing-time tick, in milliseconds.
    @usableFromInline let tick: Int64
    @usableFromInline var nextTick: Int64
    @usableFromInline var end: EndOfTask

    @usableFromInline init(task: TaskEnvironment, checkpointing: TaskCheckpointing?) {
        self.task = task
        self.checkpointing = checkpointing
        tick = max(1, task.configuration.processingTimeTick.wholeMilliseconds)
        nextTick = ProcessingClock.nowMilliseconds() + tick
        end = EndOfTask(checkpointing: checkpointing != nil)
    }

    /// How long a loop waits for input before it looks at the clock and the mailbox again.
    @inlinable var tickInterval: TimeInterval { Double(tick) / 1_000 }

    /// Handles the coordinator's mail, if any is waiting (a cheap check per batch).
    @inlinable mutating func handleMail(trigger: (CheckpointBarrier) throws -> Void, complete: (Int64) throws -> Void = { _ in }) throws {
        guard let checkpointing, checkpointing.mailbox.hasMail else { return }
        if try checkpointing.handle(checkpointing.mailbox.drain(), trigger: trigger, complete: complete) { end.finalCheckpointDidComplete() }
    }

    /// Advances the chain's processing time when a tick is due.
    @inlinable mutating func advanceClock<Value>(_ head: Output<Value>) throws {
        let now = ProcessingClock.nowMilliseconds()
        guard now >= nextTick else { return }
        try head.advanceProcessingTime(to: now)
        nextTick = now + tick
    }

    /// The input ended: with checkpoints, the task keeps handling mail (a source goes on taking
    /// part in checkpoints with its final position, through `trigger`) until the final
    /// checkpoint completed; then it ends its output.
    @inlinable mutating func endOfInput<Value>(_ head: Output<Value>, trigger: (CheckpointBarrier) throws -> Void, complete: (Int64) throws -> Void = { _ in }) throws {
        end.inputDidEnd()
        if let checkpointing {
            // The completion may be in the mailbox already (downstream tasks hear it before their input ends).
            if try checkpointing.handle(checkpointing.mailbox.drain(), trigger: trigger, complete: complete) { end.finalCheckpointDidComplete() }
            while !end.mayEndOutput {
                try task.checkCancelled()
                let mails = try checkpointing.mailbox.wait(until: Date(timeIntervalSinceNow: tickInterval))
                if try checkpointing.handle(mails, trigger: trigger, complete: complete) { end.finalCheckpointDidComplete() }
                try head.flush()
            }
        }
        try head.finish()
    }
}
