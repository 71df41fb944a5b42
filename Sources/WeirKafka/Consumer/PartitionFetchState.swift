/// One assigned partition as a consumer advances through it.
struct PartitionFetchState: Sendable {
    /// The offset of the next record to deliver: what a checkpoint stores.
    var position: Int64
    /// Bytes asked for in the next fetch; grows while a transaction without its marker fills
    /// whole fetches, back to the configured size once the position moves.
    var maxBytes: Int32
    /// Not fetched again before this instant: its next records wait for a transaction marker
    /// the broker has not written yet.
    var pausedUntil: ContinuousClock.Instant?
    /// From the latest fetch: the partition's end and, under read_committed, its last stable offset.
    var highWatermark: Int64?
    var lastStableOffset: Int64?
    /// A read_committed consumer fetches this partition read_uncommitted for now: the broker's
    /// last stable offset hides the marker of a transaction the consumer holds (the
    /// `ReadCommittedFilter` decides by markers either way).
    var readsAhead = false
    /// Since when the broker has answered with the same last stable offset.
    var stableOffsetSince: ContinuousClock.Instant = .now

    init(position: Int64, maxBytes: Int32) {
        self.position = position
        self.maxBytes = maxBytes
    }

    func isReady(at now: ContinuousClock.Instant) -> Bool {
        pausedUntil.map { $0 <= now } ?? true
    }
}
