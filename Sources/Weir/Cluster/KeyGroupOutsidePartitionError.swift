/// A keyed operator of a cluster task got a record whose key's key group is not one of those
/// its input partition holds: the stream was keyed by another key than the one it was
/// repartitioned by, so the key's records are spread over several tasks and each would keep
/// a part of its state. Weir stops rather than compute per-part results.
public struct KeyGroupOutsidePartitionError: PermanentFailure, CustomStringConvertible {
    /// The keyed operator.
    public let operatorName: String
    /// The record's key group.
    public let keyGroup: Int
    /// The partition the task reads (`partition 2 of clicks-by-user`).
    public let partition: String
    /// The key groups that partition holds.
    public let keyGroups: KeyGroupRange

    @usableFromInline init(operatorName: String, keyGroup: Int, partition: String, keyGroups: KeyGroupRange) {
        self.operatorName = operatorName
        self.keyGroup = keyGroup
        self.partition = partition
        self.keyGroups = keyGroups
    }

    /// What happened and what to change.
    public var description: String {
        "operator '\(operatorName)' got a record of key group \(keyGroup) from \(partition), which holds \(keyGroups): its keyBy key is not the key the stream was repartitioned by (DataStream.repartition(into:…, key:)); key both by the same key, or repartition by the key you keyBy"
    }
}
