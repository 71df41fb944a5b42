/// What a crash does to what a sink wrote — one word for every sink (``FileSink``, and the
/// Kafka and PostgreSQL connectors), as in Flink's `DeliveryGuarantee`.
///
/// A sink's guarantee holds only as far as the engine's: with
/// ``CheckpointingMode/atLeastOnce`` checkpoints, a restore may replay records that are
/// already in the restored state, so even an exactly-once sink then shows their effect twice.
public enum DeliveryGuarantee: String, Sendable, Hashable, CaseIterable {
    /// Written as they come, nothing made durable at checkpoints: a crash may lose or repeat some.
    case none
    /// Flushed and made durable at every checkpoint; a crash repeats what was written since the
    /// last completed one.
    case atLeastOnce
    /// Written inside transactions committed with the checkpoints: every record's effect once.
    case exactlyOnce
}
