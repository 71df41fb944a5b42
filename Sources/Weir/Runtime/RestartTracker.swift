/// The restart strategy applied to a job's failures, as a pure state machine: each failure
/// goes in with the monotonic time it happened; out comes a restart after a delay, or the
/// decision to give up. It counts restarts in a row (reset by ``RestartStrategy`` after a
/// quiet period) and in all, and knows which failures a restart cannot mend.
@usableFromInline struct RestartTracker: Sendable {
    @usableFromInline enum Decision: Sendable, Equatable {
        /// Restart from the latest completed checkpoint after `delay`.
        case restart(after: Duration)
        /// Fail the job; `afterRestarts` restarts in a row came before (0: the failure is one
        /// a restart cannot mend, or the strategy allows none).
        case giveUp(afterRestarts: Int)
    }

    @usableFromInline let strategy: RestartStrategy
    /// Restarts since the strategy last reset its count.
    @usableFromInline private(set) var inARow = 0
    /// Restarts of this `execute`.
    @usableFromInline private(set) var total = 0
    @usableFromInline private(set) var lastFailureAt: UInt64

    /// A tracker for a job that started at `now` (monotonic nanoseconds).
    @usableFromInline init(strategy: RestartStrategy, now: UInt64) {
        self.strategy = strategy
        lastFailureAt = now
    }

    /// The job failed with `error` at `now`; `random` in 0..<1 draws the strategy's jitter.
    @usableFromInline mutating func failed(_ error: any Error, now: UInt64, random: Double = Double.random(in: 0..<1)) -> Decision {
        if let quiet = strategy.resetAfter, now - lastFailureAt >= UInt64(max(0, quiet.wholeMilliseconds)) * 1_000_000 { inARow = 0 }
        lastFailureAt = now
        guard Self.isRestartable(error), let delay = strategy.delay(beforeAttempt: inARow + 1, random: random) else {
            return .giveUp(afterRestarts: inARow)
        }
        inARow += 1
        total += 1
        return .restart(after: delay)
    }

    /// Whether a restart can mend `error`. Not: a job that cannot be built (``JobError``); a
    /// checkpoint error other than too many failed checkpoints in a row (a damaged or foreign
    /// checkpoint, a refused fallback, a newer run owning the directory stay as they are —
    /// a full disk that is freed or a store that comes back is mended); data loss (a sink's
    /// transaction gone for good) and a ``PermanentFailure``, which a restart would meet again.
    @usableFromInline static func isRestartable(_ error: any Error) -> Bool {
        if error is JobError { return false }
        if let checkpointError = error as? CheckpointError {
            if case .tooManyFailedCheckpoints = checkpointError { return true }
            return false
        }
        let underlying = (error as? OperatorFailure)?.underlying ?? error
        if case TwoPhaseCommitError.lostTransaction = underlying { return false }
        return !((underlying as? any PermanentFailure)?.isPermanent ?? false)
    }
}
