import Foundation

/// The loop of a task whose first operator reads from other tasks: take the next message of
/// any channel, hand records to the operator chain, combine watermarks over the channels,
/// align checkpoint barriers, and end when every channel has ended.
@usableFromInline struct InputTaskLoop<Input: Sendable> {
    @usableFromInline init(task: TaskEnvironment, gate: InputGate<Input>, head: Output<Input>, checkpointing: TaskCheckpointing?) { self.task = task; self.gate = gate; self.head = head; self.checkpointing = checkpointing }
    @usableFromInline let task: TaskEnvironment
    @usableFromInline let gate: InputGate<Input>
    @usableFromInline let head: Output<Input>
    @usableFromInline let checkpointing: TaskCheckpointing?

    @inlinable func run() throws {
        var valve = WatermarkValve(channelCount: gate.channelCount)
        var aligner = BarrierAligner(channelCount: gate.channelCount, mode: checkpointing?.mode == .atLeastOnce ? .atLeastOnce : .exactlyOnce)
        var barriers: [Int64: CheckpointBarrier] = [:]
        var alignmentStarted: [Int64: UInt64] = [:]
        var openChannels = gate.channelCount
        let tick = max(1, task.configuration.processingTimeTick.wholeMilliseconds)
        var nextTick = ProcessingClock.nowMilliseconds() + tick
        let recordsIn = task.metrics.recordsIn

        func alignment(_ actions: [BarrierAligner.Action]) throws {
            for action in actions {
                switch action {
                case .block(let channel):
                    gate.block(channel)
                case .snapshot(let checkpointID):
                    let barrier = barriers.removeValue(forKey: checkpointID)!
                    let alignment = alignmentStarted.removeValue(forKey: checkpointID).map { ProcessingClock.monotonicNanoseconds() - $0 } ?? 0
                    try checkpointing?.checkpoint(barrier, alignmentNanoseconds: alignment, extra: { nil }, forwardBarrier: { try head.emitBarrier(barrier) })
                    gate.unblockAll()
                case .abandon(let checkpointID):
                    barriers[checkpointID] = nil
                    alignmentStarted[checkpointID] = nil
                    gate.unblockAll()
                }
            }
        }

        while true {
            if let checkpointing, checkpointing.mailbox.hasMail {
                try checkpointing.handle(checkpointing.mailbox.drain(), trigger: { _ in })
            }
            var received = try gate.receive(waitingUntil: nil)
            if received == nil {
                // About to wait: hand what is buffered downstream first, or it would sit there.
                try head.flush()
                received = try gate.receive(waitingUntil: Date(timeIntervalSinceNow: Double(tick) / 1_000))
            }
            let now = ProcessingClock.nowMilliseconds()
            if now >= nextTick {
                try head.advanceProcessingTime(to: now)
                nextTick = now + tick
            }
            guard let (channel, message) = received else { continue }
            switch message {
            case .records(let batch):
                recordsIn.add(batch.count)
                for record in batch { try head.emit(record.value, timestamp: record.timestamp) }
            case .watermark(let watermark):
                try apply(valve.watermark(watermark, channel: channel))
            case .idleness(let idle):
                try apply(valve.idleness(idle, channel: channel))
            case .barrier(let barrier):
                guard checkpointing != nil else { break }
                if barriers[barrier.checkpointID] == nil && barrier.checkpointID > aligner.lastHandled {
                    barriers[barrier.checkpointID] = barrier
                    alignmentStarted[barrier.checkpointID] = ProcessingClock.monotonicNanoseconds()
                }
                try alignment(aligner.barrier(barrier.checkpointID, channel: channel))
            case .endOfInput:
                try apply(valve.finish(channel: channel, stopped: task.control.isStopping))
                try alignment(aligner.endOfInput(channel: channel))
                openChannels -= 1
                if openChannels == 0 {
                    // With checkpoints, inputs end only after the final checkpoint completed; its
                    // notification was posted here before the sources learnt of it.
                    if let checkpointing { try checkpointing.handle(checkpointing.mailbox.drain(), trigger: { _ in }) }
                    try head.finish()
                    return
                }
            }
        }
    }

    @inlinable func apply(_ action: WatermarkValve.Action) throws {
        if action.idleness == false { try head.emitIdleness(false) }
        if let watermark = action.watermark {
            task.metrics.observeWatermark(watermark)
            try head.emitWatermark(watermark)
        }
        if action.idleness == true { try head.emitIdleness(true) }
    }
}
