/// What a two-phase-commit sink's output becomes when input whose results it already committed
/// is processed again.
///
/// That happens only when a job restores a checkpoint older than the latest completed one — the
/// latest is damaged, or the user chose an older one: the sink committed the latest
/// checkpoint's transactions, and the replay produces their results again. Weir restores an
/// older checkpoint only if every sink of the job is ``replaces`` (or the user accepts
/// duplicates explicitly, ``UnusableCheckpointPolicy/restoreOlderAcceptingDuplicates``).
public enum SinkReplay: Sendable, Hashable {
    /// Committing the replayed results again duplicates them (appended rows, Kafka records).
    case duplicates
    /// The replayed results replace what was committed for them (the file sink removes the
    /// parts it committed after the restored checkpoint and writes them again; upserts), so the
    /// output stays exact.
    case replaces
}
