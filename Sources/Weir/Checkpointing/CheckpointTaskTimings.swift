/// How long a task spent on a checkpoint.
@usableFromInline struct CheckpointTaskTimings: Sendable, Equatable {
    @usableFromInline init(pauseNanoseconds: UInt64, snapshotNanoseconds: UInt64, alignmentNanoseconds: UInt64) {
        self.pauseNanoseconds = pauseNanoseconds; self.snapshotNanoseconds = snapshotNanoseconds; self.alignmentNanoseconds = alignmentNanoseconds
    }
    /// Snapshot copy plus forwarding the barrier.
    @usableFromInline var pauseNanoseconds: UInt64
    /// The snapshot copy alone.
    @usableFromInline var snapshotNanoseconds: UInt64
    /// From the first barrier to the last (alignment); 0 for a task with one input or a source.
    @usableFromInline var alignmentNanoseconds: UInt64
}
