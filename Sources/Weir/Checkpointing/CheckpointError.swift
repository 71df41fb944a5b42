/// Errors of checkpointing and restoring.
public enum CheckpointError: Error, CustomStringConvertible {
    /// A checkpoint file fails its checksum or cannot be decoded.
    case corruptFile(path: String, reason: String)
    /// The storage could not read, write, rename or sync a file or directory.
    case storage(path: String, reason: String)
    /// The checkpoint cannot be restored into this job (another job's, another format version,
    /// or operators that do not match).
    case incompatible(String)
    /// The job uses something that cannot take part in checkpoints (a source or sink without
    /// the needed methods).
    case unsupported(String)
    /// Another run of the job claimed the checkpoint directory after this one started: this
    /// run is a zombie (it was paused, or its host was thought dead) and must not complete
    /// checkpoints — completing one would commit its sinks' transactions a second time.
    case superseded(path: String, by: String)
    /// More checkpoints failed in a row than ``CheckpointConfiguration/tolerableConsecutiveFailures``
    /// (a task declined, a timeout, a full disk, a slow store): the coordinator fails the job,
    /// and the restart strategy restarts it from the latest completed checkpoint.
    case tooManyFailedCheckpoints(String)
    /// The latest completed checkpoint is unusable and restoring an older one would replay
    /// input whose results these sinks may already have committed (they would appear twice).
    case unsafeFallback(directory: String, unusable: [Int64], reasons: [String], older: Int64, sinks: [String])

    /// A message that names the file or operator and what to do.
    public var description: String {
        switch self {
        case let .corruptFile(path, reason): return "checkpoint file '\(path)' is damaged: \(reason)"
        case let .storage(path, reason): return "checkpoint storage '\(path)': \(reason)"
        case .incompatible(let message): return "cannot restore: \(message)"
        case .unsupported(let message): return message
        case let .superseded(path, owner): return "another run of this job (\(owner)) took over the checkpoint directory '\(path)'; this run stops without completing checkpoints"
        case .tooManyFailedCheckpoints(let what):
            // Full checkpoints of a large heap state outlast the timeout (16 M keys on 2 cores: BENCHMARKS.md).
            let hint = what.contains("timed out") ? "; checkpoints that take longer than CheckpointConfiguration.timeout: raise it, or keep large keyed state in RocksDB, whose incremental checkpoints write only what changed (docs/STATE.md)" : ""
            return "too many checkpoints failed: \(what) (CheckpointConfiguration.tolerableConsecutiveFailures)\(hint)"
        case let .unsafeFallback(directory, unusable, reasons, older, sinks):
            let names = unusable.map { "checkpoint \($0)" }.joined(separator: ", ")
            return "\(names) in '\(directory)' \(unusable.count == 1 ? "is" : "are") not usable (\(reasons.joined(separator: "; "))); "
                + "restoring the older checkpoint \(older) would replay input whose results the sink\(sinks.count == 1 ? "" : "s") "
                + sinks.map { "'\($0)'" }.joined(separator: ", ") + " may already have committed, so they would appear twice. "
                + "Repair or restore the newer checkpoint from a backup, or accept duplicates explicitly: "
                + "CheckpointConfiguration.unusableLatestCheckpoint = .restoreOlderAcceptingDuplicates (weir run: --accept-duplicates)"
        }
    }
}
