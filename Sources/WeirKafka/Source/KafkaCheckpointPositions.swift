import Weir

/// The positions a checkpoint holds for the partitions Kafka sources read: what a restore
/// would start from. `weir group` shows a task's lag from them — the truth — rather than
/// from the positions committed for monitoring (``KafkaSource/offsetCommitGroup``), which a
/// stale owner can still overwrite: a worker paused between a checkpoint's completion and its
/// commit commits older positions when it wakes, after the partition's new owner has read on.
public enum KafkaCheckpointPositions {
    /// Every Kafka split in the states' list state (other entries — a sink's transactions —
    /// a timer or window part — do not decode as one and are passed over).
    public static func positions(in states: [CheckpointInspector.OperatorState]) -> [TopicPartition: Int64] {
        var positions: [TopicPartition: Int64] = [:]
        for state in states {
            for entry in state.listState {
                guard let split = try? KafkaPartitionSplit.decode(entry) else { continue }
                positions[split.topicPartition] = split.offset
            }
        }
        return positions
    }
}
