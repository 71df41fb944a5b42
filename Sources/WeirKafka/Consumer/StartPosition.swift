/// Where a consumer starts reading a partition it has no position for.
public enum StartPosition: Sendable, Hashable, Codable {
    /// The first offset the partition still holds.
    case earliest
    /// After the last record written so far: only new records are read.
    case latest
    /// The first record with a timestamp at or after this one (ms since 1970); the end of the
    /// partition if there is none.
    case timestamp(Int64)
    /// This offset exactly (a position restored from a checkpoint).
    case offset(Int64)
    /// The position a consumer group stored (`OffsetCommit`); `otherwise` where it stored none.
    indirect case committed(groupID: String, otherwise: StartPosition)
}

/// What a consumer does when its position is outside the partition's offsets (the records
/// were deleted by retention, or the partition was recreated).
public enum OffsetResetPolicy: Sendable, Hashable {
    /// Stop with ``KafkaError/broker(_:api:broker:topic:partition:message:)`` (`OFFSET_OUT_OF_RANGE`):
    /// records were lost and somebody should know. The default.
    case fail
    /// Go on from the earliest offset the partition holds.
    case earliest
    /// Go on from the end of the partition.
    case latest
}
