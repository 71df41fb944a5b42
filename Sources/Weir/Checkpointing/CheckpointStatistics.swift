/// Figures of one completed checkpoint.
public struct CheckpointStatistics: Sendable, Hashable {
    /// The checkpoint's id.
    public let checkpointID: Int64
    /// From the trigger until the metadata was durably written.
    public let durationMilliseconds: Int64
    /// Bytes a restore of it reads: its state files and every shared file it references.
    public let stateSize: Int
    /// Bytes it wrote: its state files and the shared files it uploaded (an incremental
    /// checkpoint's size; the same as ``stateSize`` for a full checkpoint).
    public var checkpointedSize: Int
    /// The longest a task thread stopped processing for this checkpoint (taking the
    /// copy-on-write snapshot of its operators and forwarding the barrier, which may wait for
    /// room in a full channel), in microseconds. Alignment waiting is not included.
    public let maxTaskPauseMicroseconds: Int64
    /// The longest any task took for the copy-on-write snapshot alone, in microseconds.
    public let maxSnapshotMicroseconds: Int64
    /// The longest barrier alignment of any task (first barrier to last), in microseconds.
    public let maxAlignmentMicroseconds: Int64
    /// The final checkpoint at the end of the input.
    public let isFinal: Bool

    @usableFromInline init(checkpointID: Int64, durationMilliseconds: Int64, stateSize: Int, checkpointedSize: Int? = nil, maxTaskPauseMicroseconds: Int64,
                           maxSnapshotMicroseconds: Int64, maxAlignmentMicroseconds: Int64, isFinal: Bool) {
        self.checkpointID = checkpointID
        self.durationMilliseconds = durationMilliseconds
        self.stateSize = stateSize
        self.checkpointedSize = checkpointedSize ?? stateSize
        self.maxTaskPauseMicroseconds = maxTaskPauseMicroseconds
        self.maxSnapshotMicroseconds = maxSnapshotMicroseconds
        self.maxAlignmentMicroseconds = maxAlignmentMicroseconds
        self.isFinal = isFinal
    }
}
