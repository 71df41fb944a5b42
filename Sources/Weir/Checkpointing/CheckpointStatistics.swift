/// Figures of one completed checkpoint.
public struct CheckpointStatistics: Sendable, Hashable {
    public let checkpointID: Int64
    /// From the trigger until the metadata was durably written.
    public let durationMilliseconds: Int64
    /// Bytes of state files.
    public let stateSize: Int
    /// The longest a task thread stopped processing for this checkpoint (taking the
    /// copy-on-write snapshot of its operators and forwarding the barrier), in microseconds.
    /// Alignment waiting is not included.
    public let maxTaskPauseMicroseconds: Int64
    public let isFinal: Bool
}
