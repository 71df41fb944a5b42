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
        var loop = TaskLoop(task: task, checkpointing: checkpointing)
        var valve = WatermarkValve(channelCount: gate.channelCount)
        var aligner = BarrierAligner(channelCount: gate.channelCount, mode: checkpointing?.mode ?? .exactlyOnce)
        var openChannels = gate.channelCount
        let recordsIn = task.metrics.recordsIn

        func alignment(_ actions: [BarrierAligner.Action]) throws {
            for action in actions {
                switch action {
                case .block(let channel):
                    gate.block(channel)
                case let .snapshot(barrier, alignmentNanoseconds):
                    try checkpointing?.checkpoint(barrier, alignmentNanoseconds: alignmentNanoseconds, extra: { nil }, forwardBarrier: { try head.emitBarrier(barrier) })
                    gate.unblockAll()
                case .abandon:
                    gate.unblockAll()
                }
            }
        }

        while true {
            try loop.handleMail(trigger: { _ in })
            var received = try gate.receive(waitingUntil: nil)
            if received == nil {
                // About to wait: hand what is buffered downstream first, or it would sit there.
                try head.flush()
                received = try gate.receive(waitingUntil: Date(timeIntervalSinceNow: loop.tickInterval))
            }
            try loop.advanceClock(head)
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
                try alignment(aligner.barrier(barrier, channel: channel, now: ProcessingClock.monotonicNanoseconds()))
            case .endOfInput:
                try apply(valve.finish(channel: channel, stopped: task.control.isStopping))
                try alignment(aligner.endOfInput(channel: channel, now: ProcessingClock.monotonicNanoseconds()))
                openChannels -= 1
                if openChannels == 0 {
                    try loop.endOfInput(head, trigger: { _ in })
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
