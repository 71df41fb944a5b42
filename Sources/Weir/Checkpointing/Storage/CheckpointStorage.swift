/// Where a job's checkpoints live: the seam between the checkpoint protocol and a store of
/// bytes — a directory of the local file system (``FileCheckpointStorage``, the default) or an
/// S3-compatible bucket (`S3CheckpointStorage` in WeirS3).
///
/// The engine owns everything about a checkpoint's *content*: the file format, the CRC-32C of
/// every state file in the metadata, verification on restore, the fallback rules when the
/// latest checkpoint is damaged, retention. A storage owns where bytes go and two guarantees:
///
/// - **Metadata last.** ``completeCheckpoint(_:metadata:)`` makes the checkpoint's state files
///   durable before its metadata is, and the metadata appears whole or not at all. A
///   checkpoint whose metadata is missing is incomplete and never restored.
/// - **Fencing.** After ``claim(resuming:)`` of a newer run, an older run of the same job (a
///   zombie: paused, partitioned, thought dead) must not be able to complete a checkpoint that
///   the newer run's restores would see — completing one would make a later restore commit
///   transactions the newer run aborted.
///
/// Methods are called from the coordinator's and the checkpoint writer's threads; they block.
public protocol CheckpointStorage: Sendable {
    /// The storage in messages: a directory path, `s3://bucket/prefix`.
    var location: String { get }

    /// Claims the storage for this run, once per `execute()`, before anything else. With
    /// `resuming`, this run continues the checkpoints of the runs before it; without, it starts
    /// a history of its own (earlier runs' checkpoints are no longer restored). Deletes what
    /// earlier runs left incomplete.
    func claim(resuming: Bool) throws

    /// Throws ``CheckpointError/superseded(path:by:)`` once a newer run claimed the storage.
    func checkStillOwned() throws

    /// Prepares checkpoint `checkpointID` of this run before its state files are written.
    func beginCheckpoint(_ checkpointID: Int64) throws

    /// Writes one state file of checkpoint `checkpointID` (called from the checkpoint writer,
    /// concurrently for different files).
    func writeStateFile(_ bytes: [UInt8], name: String, checkpointID: Int64) throws

    /// Completes checkpoint `checkpointID`: makes its state files durable, then writes
    /// `metadata` (its `_metadata`) atomically — unless a newer run claimed the storage
    /// (``CheckpointError/superseded(path:by:)``).
    func completeCheckpoint(_ checkpointID: Int64, metadata: [UInt8]) throws

    /// Deletes checkpoint `checkpointID` of this run (aborted, or the run ended during it).
    func abortCheckpoint(_ checkpointID: Int64)

    /// Deletes a stored checkpoint beyond retention.
    func discard(_ checkpoint: StoredCheckpoint)

    /// The checkpoints a restore of this run may use, complete or not, newest first.
    func storedCheckpoints() throws -> [StoredCheckpoint]

    /// The bytes of one file of a stored checkpoint (`_metadata` or a state file).
    func read(_ name: String, of checkpoint: StoredCheckpoint) throws -> [UInt8]

    /// A storage of its own for one part of the job, under this one (`tasks/<task>` for each
    /// task of a cluster job: a task's checkpoints stand on their own), or `nil` if this
    /// storage cannot nest. Default: `nil`.
    func nested(_ path: String) -> (any CheckpointStorage)?

    // MARK: Shared state files (incremental checkpoints)

    /// Writes a file of the shared area (`shared/<name>`; `name` may hold one `/`), durably
    /// before it returns: a checkpoint's metadata may reference it as soon as it is written.
    /// Default: throws (the storage holds full checkpoints only).
    func writeSharedFile(_ bytes: [UInt8], name: String) throws

    /// The bytes of a shared file. Default: throws.
    func readSharedFile(_ name: String) throws -> [UInt8]

    /// Deletes a shared file (no retained checkpoint references it any more). Default: nothing.
    func deleteSharedFile(_ name: String)

    /// The names of every shared file, to delete those no checkpoint references. Default: none.
    func sharedFileNames() throws -> [String]
}

extension CheckpointStorage {
    public func nested(_ path: String) -> (any CheckpointStorage)? { nil }

    public func writeSharedFile(_ bytes: [UInt8], name: String) throws {
        throw CheckpointError.storage(path: location, reason: "this checkpoint storage holds full checkpoints only, not the shared files of incremental ones; turn incremental checkpoints off (RocksDBStateBackend(incrementalCheckpoints: false))")
    }

    public func readSharedFile(_ name: String) throws -> [UInt8] {
        throw CheckpointError.corruptFile(path: location + "/shared/" + name, reason: "this checkpoint storage holds no shared files")
    }

    public func deleteSharedFile(_ name: String) {}

    public func sharedFileNames() throws -> [String] { [] }
}

/// A checkpoint as a ``CheckpointStorage`` holds it.
public struct StoredCheckpoint: Sendable, Hashable {
    /// The checkpoint's id.
    public let checkpointID: Int64
    /// Where it is, in messages: a `chk-<n>` directory, an object prefix.
    public let location: String
    /// Whether its metadata was written.
    public let isComplete: Bool
    /// The storage's own reference to it (a path, a key prefix).
    public let reference: String

    /// A checkpoint with its id, its location in messages, whether it is complete, and the
    /// storage's reference to it.
    public init(checkpointID: Int64, location: String, isComplete: Bool, reference: String) {
        self.checkpointID = checkpointID
        self.location = location
        self.isComplete = isComplete
        self.reference = reference
    }
}

extension StoredCheckpoint {
    /// The name of a checkpoint's metadata file, written last.
    public static let metadataName = "_metadata"
}
