/// One run's claim on a checkpoint location: its epoch (one more than every claim it saw),
/// and which of the earlier runs' checkpoints it continues. Stored as
/// `_claims/<run key>`; a run writes its checkpoints under `<run key>/chk-<n>/`.
///
/// The claim is how S3 storage fences a zombie without conditional writes (which many
/// S3-compatible servers ignore): the parent's checkpoints count only up to ``Parent/upTo``,
/// the newest one that was complete when this run claimed — whatever the zombie completes
/// later is never restored.
struct RunClaim: Codable, Sendable, Hashable {
    /// Orders runs: greater is newer.
    let epoch: Int64
    /// Tells apart runs that claimed the same epoch at once (a mistake that claim detects).
    let run: String
    /// Host, process and time, for messages.
    let owner: String
    /// The run continued, if this run resumed.
    let parent: Parent?

    /// A continued run and the newest of its checkpoints that counts.
    struct Parent: Codable, Sendable, Hashable {
        let runKey: String
        /// Checkpoints of that run with a greater id were completed after this claim (a
        /// zombie's) and are ignored. 0: none of its own counts (it completed none).
        let upTo: Int64
    }

    /// `0000000005-1a2b3c4d`: sorts by epoch as text, names the run's folder.
    var key: String { Self.key(epoch: epoch, run: run) }

    static func key(epoch: Int64, run: String) -> String {
        let digits = String(epoch)
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits + "-" + run
    }

    /// The epoch of a run key, if it is one.
    static func epoch(ofKey key: Substring) -> Int64? {
        guard let dash = key.firstIndex(of: "-") else { return nil }
        return Int64(key[..<dash])
    }
}
