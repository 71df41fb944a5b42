/// `chk-<n>/_metadata`: written last, atomically and durably. A checkpoint directory without
/// a valid `_metadata` is not a checkpoint.
public struct CheckpointMetadata: Codable, Sendable {
    /// One subtask's state file of the checkpoint.
    public struct StateFile: Codable, Sendable, Hashable {
        /// The file's name in the checkpoint directory.
        public var name: String
        /// The operator whose state it holds (stable across runs of the same job graph).
        public var operatorID: String
        /// The subtask that wrote it.
        public var subtask: Int
        /// Its size in bytes.
        public var size: Int
        /// Its CRC-32C, checked before a restore reads it.
        public var checksum: UInt32
    }

    /// An operator of the checkpointed job and the parallelism it ran with.
    public struct Operator: Codable, Sendable, Hashable {
        /// The operator's stable id.
        public var operatorID: String
        /// Its parallelism when the checkpoint was taken.
        public var parallelism: Int
    }

    /// The checkpoint's id, rising within a job's checkpoint directory.
    public var checkpointID: Int64
    /// The job that took it; another job's checkpoints are refused.
    public var jobName: String
    /// Wall-clock time of the trigger, ms since the epoch.
    public var triggeredAt: Int64
    /// Trigger to all acknowledgements, ms.
    public var durationMilliseconds: Int64
    /// The job's number of key groups (keyed state can be restored at any parallelism up to it).
    public var maxParallelism: Int
    /// Taken when the sources were exhausted, at the end of the job.
    public var isFinal: Bool
    /// The operators of the job graph.
    public var operators: [Operator]
    /// Every state file of the checkpoint.
    public var files: [StateFile]
    /// The shared files (incremental checkpoints' SSTs) the state files reference, uploaded by
    /// this checkpoint or an earlier one; `nil` in checkpoints without any. Retention deletes a
    /// shared file once no retained checkpoint lists it.
    public var sharedFiles: [SharedStateFile]?

    /// What restoring the checkpoint reads: its state files and every shared file it references.
    public var stateSize: Int { files.reduce(0) { $0 + $1.size } + (sharedFiles ?? []).reduce(0) { $0 + $1.size } }

    /// What this checkpoint wrote: its state files and the shared files it uploaded (for a
    /// full checkpoint, ``stateSize``).
    public var checkpointedSize: Int {
        files.reduce(0) { $0 + $1.size } + (sharedFiles ?? []).filter { $0.uploadedBy == checkpointID }.reduce(0) { $0 + $1.size }
    }
}
