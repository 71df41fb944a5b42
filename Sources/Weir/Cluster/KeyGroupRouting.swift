/// What a keyed exchange (`keyBy`) needs to route a record: the job's key groups, and in a
/// cluster task the key groups its input partition holds.
@usableFromInline struct KeyGroupRouting: Sendable {
    /// The job's key groups (``StreamEnvironment/maxParallelism``).
    @usableFromInline let maxParallelism: Int
    /// In a cluster task that reads a partition of a topic partitioned by key group, the key
    /// groups of that partition: a record keyed into another was keyed by another key than the
    /// topic's, and the task would keep a part of a key that other tasks keep too.
    @usableFromInline let required: RequiredKeyGroups?
    /// The keyed operator, for the error.
    @usableFromInline let consumer: String

    @usableFromInline init(maxParallelism: Int, required: RequiredKeyGroups? = nil, consumer: String = "") {
        self.maxParallelism = maxParallelism
        self.required = required
        self.consumer = consumer
    }

    /// Fails unless `keyGroup` is one the task's input holds.
    @inlinable func check(_ keyGroup: Int) throws {
        guard let required, !required.keyGroups.contains(keyGroup) else { return }
        throw KeyGroupOutsidePartitionError(operatorName: consumer, keyGroup: keyGroup, partition: required.partition, keyGroups: required.keyGroups)
    }
}

/// The key groups of the partition a cluster task reads (``PartitionedSource/keyGroups(ofPartition:of:)``).
@usableFromInline struct RequiredKeyGroups: Sendable {
    /// `partition 2 of clicks-by-user`.
    @usableFromInline let partition: String
    @usableFromInline let keyGroups: KeyGroupRange

    @usableFromInline init(partition: String, keyGroups: KeyGroupRange) {
        self.partition = partition
        self.keyGroups = keyGroups
    }
}
