import Foundation

/// How a job takes checkpoints. Set ``StreamEnvironment/checkpointing`` to enable them.
///
/// ```swift
/// env.checkpointing = CheckpointConfiguration(directory: "state/", interval: .seconds(1))
/// // Task failure: restart from the latest checkpoint — by default with an exponential delay (1 s × 1.5ⁿ up to 1 min).
/// env.restartStrategy = .fixedDelay(attempts: 5, delay: .seconds(1))
/// env.resume = .latest                                                // process crash: start again from the latest checkpoint
/// ```
public struct CheckpointConfiguration: Sendable, Hashable {
    /// Where checkpoints are stored: a directory (``FileCheckpointStorage``), or an
    /// S3-compatible bucket (WeirS3's `S3CheckpointStorage`).
    public var storage: any CheckpointStorage
    /// The checkpoint directory, for a ``FileCheckpointStorage``; otherwise the storage's
    /// ``CheckpointStorage/location``. Setting it stores checkpoints in that directory.
    public var directory: String {
        get { (storage as? FileCheckpointStorage)?.directory ?? storage.location }
        set { storage = FileCheckpointStorage(directory: newValue) }
    }
    /// Time between the starts of two checkpoints. Default 1 s.
    public var interval: Duration
    /// `.exactlyOnce` aligns barriers; `.atLeastOnce` does not (less latency under skew,
    /// duplicates after a restore). Default `.exactlyOnce`.
    public var mode: CheckpointingMode = .exactlyOnce
    /// A checkpoint not completed within this time is aborted. Default 60 s.
    public var timeout: Duration = .seconds(60)
    /// Minimum time between the end of one checkpoint and the start of the next. Default 0.
    public var minPauseBetweenCheckpoints: Duration = .zero
    /// Checkpoints that may fail in a row before the job fails. Default 3.
    public var tolerableConsecutiveFailures: Int = 3
    /// Completed checkpoints kept in the directory; older ones are deleted. At least 1;
    /// default 2, so that a damaged latest checkpoint still leaves one to restore.
    public var retainedCheckpoints: Int = 2
    /// What a restore does when the latest completed checkpoint cannot be read (damaged) and an
    /// older one can. Default ``UnusableCheckpointPolicy/restoreOlderIfReplaySafe``.
    public var unusableLatestCheckpoint: UnusableCheckpointPolicy = .restoreOlderIfReplaySafe

    /// Checkpoints every `interval` into `directory` (created if missing), with the other
    /// settings at their defaults.
    public init(directory: String, interval: Duration = .seconds(1)) {
        self.init(storage: FileCheckpointStorage(directory: directory), interval: interval)
    }

    /// Checkpoints every `interval` into `storage`, with the other settings at their defaults.
    public init(storage: any CheckpointStorage, interval: Duration = .seconds(1)) {
        self.storage = storage
        self.interval = interval
    }

    /// Equal if they store in the same ``CheckpointStorage/location`` with the same settings.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.storage.location == rhs.storage.location && lhs.interval == rhs.interval && lhs.mode == rhs.mode && lhs.timeout == rhs.timeout
            && lhs.minPauseBetweenCheckpoints == rhs.minPauseBetweenCheckpoints && lhs.tolerableConsecutiveFailures == rhs.tolerableConsecutiveFailures
            && lhs.retainedCheckpoints == rhs.retainedCheckpoints && lhs.unusableLatestCheckpoint == rhs.unusableLatestCheckpoint
    }

    /// Hashes what ``==(_:_:)`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.location)
        hasher.combine(interval)
        hasher.combine(mode)
        hasher.combine(timeout)
        hasher.combine(minPauseBetweenCheckpoints)
        hasher.combine(tolerableConsecutiveFailures)
        hasher.combine(retainedCheckpoints)
        hasher.combine(unusableLatestCheckpoint)
    }
}

/// What a restore does when the latest completed checkpoint is unusable (see
/// ``CheckpointConfiguration/unusableLatestCheckpoint``). Restoring an older checkpoint replays
/// input whose results the sinks committed when the newer one completed.
public enum UnusableCheckpointPolicy: Sendable, Hashable {
    /// Restore the older checkpoint only if every two-phase-commit sink of the job replaces
    /// replayed results (``SinkReplay/replaces``); otherwise stop with
    /// ``CheckpointError/unsafeFallback(directory:unusable:reasons:older:sinks:)``, which names
    /// the checkpoints and the sinks at risk.
    case restoreOlderIfReplaySafe
    /// Restore the older checkpoint anyway: results of the replayed input may appear twice in
    /// sinks that do not replace them (a warning names them).
    case restoreOlderAcceptingDuplicates
}

/// Whether barriers are aligned (see ``CheckpointConfiguration/mode``).
public enum CheckpointingMode: Sendable, Hashable {
    /// Barriers are aligned: an operator with several inputs holds back the inputs whose barrier
    /// arrived until the barrier arrived on all of them, so that a snapshot reflects every record before
    /// the barrier and none after it (needed for exactly-once results).
    case exactlyOnce
    /// Barriers are not aligned: records after a barrier may enter a snapshot, so a restore can
    /// repeat them. Lower latency under backpressure; results may count a record twice.
    case atLeastOnce
}

/// What a job does when a task fails.
public enum RestartStrategy: Sendable, Hashable {
    /// The failure ends `execute()`.
    case none
    /// Restart from the latest completed checkpoint after `delay`, at most `attempts` times.
    case fixedDelay(attempts: Int, delay: Duration)
    /// Restart after `initial`, doubling the delay each time up to `maximum`, at most
    /// `attempts` times.
    case exponentialBackoff(attempts: Int, initial: Duration, maximum: Duration)
    /// Restart with a delay that grows by a factor up to a maximum, with jitter, and starts
    /// small again after a quiet period (Flink's default since 1.19). The default of a job
    /// with checkpoints.
    case exponentialDelay(ExponentialDelayRestart)

    /// The delay before restart number `attempt` (from 1, counted since the last reset), or
    /// `nil` if no more are allowed. `random` in 0..<1 draws the jitter.
    @usableFromInline func delay(beforeAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration? {
        switch self {
        case .none:
            return nil
        case let .fixedDelay(attempts, delay):
            return attempt <= attempts ? delay : nil
        case let .exponentialBackoff(attempts, initial, maximum):
            guard attempt <= attempts else { return nil }
            var delay = initial
            for _ in 1..<attempt where delay < maximum { delay = delay * 2 }
            return min(delay, maximum)
        case .exponentialDelay(let policy):
            return policy.delay(beforeAttempt: attempt, random: random)
        }
    }

    /// How long a run must go without failing before the attempts count from 1 again.
    @usableFromInline var resetAfter: Duration? {
        if case .exponentialDelay(let policy) = self { return policy.resetAfter }
        return nil
    }
}

/// The settings of ``RestartStrategy/exponentialDelay(_:)``; defaults as Flink's.
public struct ExponentialDelayRestart: Sendable, Hashable {
    /// Delay before the first restart. Default 1 s.
    public var initial: Duration = .seconds(1)
    /// The delay grows to at most this. Default 1 min.
    public var maximum: Duration = .seconds(60)
    /// Each restart waits this many times longer than the one before. Default 1.5.
    public var multiplier: Double = 1.5
    /// Each delay varies at random by up to this fraction either way, so that many jobs failing
    /// together do not restart together. Default 0.1.
    public var jitter: Double = 0.1
    /// After this long without a failure the delay starts from ``initial`` again and the
    /// attempts are counted anew. Default 1 hour.
    public var resetAfter: Duration = .seconds(3_600)
    /// Restarts (since the last reset) before the job gives up and `execute()` throws; `nil`:
    /// never gives up. Default 20 — with the other defaults, about a quarter of an hour of
    /// failing in a row.
    public var attempts: Int? = 20

    /// The defaults: 1 s, ×1.5 per attempt up to 60 s, jitter 0.1, reset after 1 h, 20 attempts.
    public init() {}

    @usableFromInline func delay(beforeAttempt attempt: Int, random: Double) -> Duration? {
        if let attempts, attempt > attempts { return nil }
        let base = Double(initial.wholeMilliseconds) * pow(max(1, multiplier), Double(attempt - 1))
        let capped = min(base, Double(maximum.wholeMilliseconds))
        let jittered = capped * (1 + jitter * (2 * random - 1))
        return .milliseconds(Int64(max(0, jittered)))
    }
}

/// Where a job starts.
public enum ResumeMode: Sendable, Hashable {
    /// From the beginning of its input, with empty state. Checkpoints of an earlier run in the
    /// storage are deleted (with a warning): they belong to another history.
    case fresh
    /// From the latest valid completed checkpoint in the checkpoint directory, if there is one
    /// (after a process crash); from the beginning otherwise.
    case latest
}
