/// How a job takes checkpoints. Set ``StreamEnvironment/checkpointing`` to enable them.
///
/// ```swift
/// env.checkpointing = CheckpointConfiguration(directory: "/var/lib/weir/clicks", interval: .seconds(1))
/// env.restartStrategy = .fixedDelay(attempts: 3, delay: .seconds(1))
/// ```
public struct CheckpointConfiguration: Sendable, Hashable {
    /// Where checkpoints are stored: `chk-<n>/` directories with state files and `_metadata`.
    public var directory: String
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

    public init(directory: String, interval: Duration = .seconds(1)) {
        self.directory = directory
        self.interval = interval
    }
}

/// Whether barriers are aligned (see ``CheckpointConfiguration/mode``).
public enum CheckpointingMode: Sendable, Hashable {
    case exactlyOnce
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

    /// The delay before restart number `attempt` (from 1), or `nil` if no more are allowed.
    func delay(beforeAttempt attempt: Int) -> Duration? {
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
        }
    }
}

/// Where a job starts.
public enum ResumeMode: Sendable, Hashable {
    /// From the beginning of its input, with empty state.
    case fresh
    /// From the latest valid completed checkpoint in the checkpoint directory, if there is one
    /// (after a process crash); from the beginning otherwise.
    case latest
}
