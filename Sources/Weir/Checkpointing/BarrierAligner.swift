/// Barrier handling of a task with several input channels, as a pure state machine: each
/// event returns what the task must do. It holds all of a task's barrier state — the barrier
/// being aligned, when its alignment began (the caller passes monotonic nanoseconds in), the
/// channels it arrived on, the channels that ended, the last checkpoint handled.
///
/// Exactly-once (aligned): after barrier *n* arrived on a channel, that channel is blocked until
/// barrier *n* arrived on every channel that has not ended; then the task snapshots and all
/// channels are released. At-least-once: nothing is blocked; the task snapshots when barrier
/// *n* has arrived on every channel, so records that overtook the barrier on faster channels
/// are in the snapshot and will be replayed after a restore (duplicates, never losses).
///
/// A barrier of a newer checkpoint while one is aligning abandons the older one (its barrier
/// was lost, e.g. the checkpoint was aborted); barriers of checkpoints at or before the last
/// one handled are ignored.
@usableFromInline struct BarrierAligner {
    @usableFromInline enum Action: Equatable {
        /// Stop taking records from this channel until the snapshot (exactly-once only).
        case block(channel: Int)
        /// Take the snapshot of `barrier`'s checkpoint, forward the barrier, release every
        /// channel; `alignmentNanoseconds` is from its first arrival to its last.
        case snapshot(CheckpointBarrier, alignmentNanoseconds: UInt64)
        /// Checkpoint `id` will not be completed by this task: release every channel.
        case abandon(checkpointID: Int64)
    }

    @usableFromInline struct Alignment {
        @usableFromInline var barrier: CheckpointBarrier
        /// When its first barrier arrived (monotonic nanoseconds).
        @usableFromInline var startedAt: UInt64
        @usableFromInline var arrived: Set<Int>
    }

    @usableFromInline let mode: CheckpointingMode
    @usableFromInline let channelCount: Int
    @usableFromInline var ended: Set<Int> = []
    @usableFromInline var alignment: Alignment?
    /// The last checkpoint snapshotted or abandoned.
    @usableFromInline var lastHandled: Int64 = 0

    @usableFromInline init(channelCount: Int, mode: CheckpointingMode) {
        self.channelCount = channelCount
        self.mode = mode
    }

    /// Whether a checkpoint is being aligned.
    @usableFromInline var isAligning: Bool { alignment != nil }

    /// `barrier` arrived on `channel` at `now` (monotonic nanoseconds).
    @usableFromInline mutating func barrier(_ barrier: CheckpointBarrier, channel: Int, now: UInt64) -> [Action] {
        let checkpointID = barrier.checkpointID
        guard checkpointID > lastHandled, !ended.contains(channel) else { return [] }
        var actions: [Action] = []
        if let current = alignment {
            if checkpointID < current.barrier.checkpointID { return [] }
            if checkpointID > current.barrier.checkpointID {
                actions.append(.abandon(checkpointID: current.barrier.checkpointID))
                alignment = nil
            }
        }
        if alignment == nil { alignment = Alignment(barrier: barrier, startedAt: now, arrived: []) }
        alignment!.arrived.insert(channel)
        if let done = completeIfAligned(now: now) {
            actions.append(done)
        } else if mode == .exactlyOnce {
            actions.append(.block(channel: channel))
        }
        return actions
    }

    /// A channel ended at `now`: it no longer holds back any alignment.
    @usableFromInline mutating func endOfInput(channel: Int, now: UInt64) -> [Action] {
        ended.insert(channel)
        guard alignment != nil, let done = completeIfAligned(now: now) else { return [] }
        return [done]
    }

    @usableFromInline mutating func completeIfAligned(now: UInt64) -> Action? {
        guard let current = alignment else { return nil }
        for channel in 0..<channelCount where !ended.contains(channel) && !current.arrived.contains(channel) { return nil }
        alignment = nil
        lastHandled = current.barrier.checkpointID
        return .snapshot(current.barrier, alignmentNanoseconds: now &- current.startedAt)
    }
}
