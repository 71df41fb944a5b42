/// What travels through a channel between two tasks: batches of records and, in band between
/// them, the control elements whose position relative to the records matters.
@usableFromInline enum ChannelMessage<Value: Sendable>: Sendable {
    /// A batch of records; batches, never single records, cross threads.
    case records([StreamRecord<Value>])
    case watermark(Watermark)
    /// The sending subtask became idle (`true`) or active again (`false`): an idle channel does
    /// not hold back the receiving task's watermark.
    case idleness(Bool)
    /// A checkpoint barrier. Checkpointing is built on this; until then it is passed through.
    case barrier(CheckpointBarrier)
    /// The sending subtask has no more records for this channel.
    case endOfInput
}

/// Barrier `n` separates the records that belong to checkpoint `n` from those after it.
@usableFromInline struct CheckpointBarrier: Sendable, Hashable {
    @usableFromInline var checkpointID: Int64
    @usableFromInline var timestampMilliseconds: Int64
}
